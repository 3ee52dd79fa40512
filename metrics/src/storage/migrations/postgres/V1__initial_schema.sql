-- Migration 1 of the metrics PostgreSQL schema: the schema as it was before migrations existed.
-- Every statement is idempotent, so a database from before migrations runs it unchanged and
-- is recorded at version 1. Never edit an applied migration: a change is a new file,
-- V2__what_it_does.sql, in both directories.

-- Hourly statistics.
CREATE TABLE IF NOT EXISTS metrics_hourly_stats (
    key    TEXT             NOT NULL,
    hour   BIGINT           NOT NULL,  -- hours since 1970-01-01T00:00Z
    count  BIGINT           NOT NULL,
    sum    DOUBLE PRECISION NOT NULL,
    min    DOUBLE PRECISION NOT NULL,
    max    DOUBLE PRECISION NOT NULL,
    sketch BYTEA            NOT NULL,  -- DDSketch (JSON), merged on every flush
    PRIMARY KEY (key, hour)
);
CREATE INDEX IF NOT EXISTS metrics_hourly_stats_by_hour ON metrics_hourly_stats (hour);

-- Kept events (storage/postgres/events.rs); each day's partition is created at run time.
CREATE SEQUENCE IF NOT EXISTS metrics_events_id_seq CACHE 1000;
CREATE TABLE IF NOT EXISTS metrics_events (
    -- C collation: keys under a prefix are a byte range, whatever the database's locale.
    key         TEXT COLLATE "C" NOT NULL,
    received_at BIGINT           NOT NULL,  -- microseconds since 1970-01-01T00:00Z
    id          BIGINT           NOT NULL DEFAULT nextval('metrics_events_id_seq'),
    value       DOUBLE PRECISION NOT NULL
) PARTITION BY RANGE (received_at);
-- Every page is a range of this index (created on each partition).
CREATE INDEX IF NOT EXISTS metrics_events_by_key_time ON metrics_events (key, received_at, id);
CREATE TABLE IF NOT EXISTS metrics_event_keys (key TEXT COLLATE "C" PRIMARY KEY);

-- Migration 1 of the metrics SQLite schema: the schema as it was before migrations existed.
-- Every statement is idempotent, so a database from before migrations runs it unchanged and
-- is recorded at version 1. Never edit an applied migration: a change is a new file,
-- V2__what_it_does.sql, in both directories.

-- Hourly statistics.
CREATE TABLE IF NOT EXISTS hourly_stats (
    key    TEXT    NOT NULL,
    hour   INTEGER NOT NULL,  -- hours since 1970-01-01T00:00Z
    count  INTEGER NOT NULL,
    sum    REAL    NOT NULL,
    min    REAL    NOT NULL,
    max    REAL    NOT NULL,
    sketch BLOB    NOT NULL,  -- DDSketch (JSON), merged on every flush
    PRIMARY KEY (key, hour)
) WITHOUT ROWID;
-- Retention deletes by age (crate::retention).
CREATE INDEX IF NOT EXISTS hourly_stats_by_hour ON hourly_stats (hour);

-- Kept events (storage/sqlite/events.rs).
CREATE TABLE IF NOT EXISTS events (
    id          INTEGER PRIMARY KEY,  -- the rowid: orders events of the same microsecond
    key         TEXT    NOT NULL,
    received_at INTEGER NOT NULL,     -- microseconds since 1970-01-01T00:00Z
    value       REAL    NOT NULL
);
-- Every page is a range of this index.
CREATE INDEX IF NOT EXISTS events_by_key_time ON events (key, received_at, id);
-- Expiry deletes by time.
CREATE INDEX IF NOT EXISTS events_by_time ON events (received_at);
-- The keys under a prefix, as one index range.
CREATE TABLE IF NOT EXISTS event_keys (key TEXT PRIMARY KEY) WITHOUT ROWID;

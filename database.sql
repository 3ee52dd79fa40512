-- Schema and seed catalog for the `hardware` service (SQLite).
--   sqlite3 database.db < database.sql
-- Generated from hardware/src/store/migrations/sqlite, which the service applies itself, in
-- order, to a new or older database: do not edit it by hand. After adding a migration:
--   UPDATE_DATABASE_SQL=1 cargo test -p hardware database_sql

PRAGMA foreign_keys = ON;

-- One row per hardware profile (an instance type / VM size). The two original rows come first.
CREATE TABLE IF NOT EXISTS hardware (
    id          INTEGER PRIMARY KEY,
    provider    TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    vcpus       INTEGER NOT NULL CHECK (vcpus > 0),
    memory_gib  REAL    NOT NULL CHECK (memory_gib > 0),
    gpus        INTEGER NOT NULL DEFAULT 0 CHECK (gpus >= 0),
    UNIQUE (provider, name)
);

-- The computed availability of each profile, one row per profile, NULL until first computed.
-- seq is a change sequence: it grows with every write, so a caller can ask for "what changed
-- since seq N". claimed_by / claim_expires_at are a lease: the process computing a profile
-- holds it, and a crashed process's lease simply expires.
CREATE TABLE IF NOT EXISTS availability (
    hardware_id      INTEGER PRIMARY KEY REFERENCES hardware (id) ON DELETE CASCADE,
    availability     TEXT CHECK (availability IN ('HIGH', 'MEDIUM', 'LOW')),
    computed_at      TEXT,            -- RFC 3339, UTC
    seq              INTEGER NOT NULL DEFAULT 0,
    claimed_by       TEXT,
    claim_expires_at TEXT             -- RFC 3339, UTC
);
CREATE INDEX IF NOT EXISTS availability_by_computed_at ON availability (computed_at);
CREATE INDEX IF NOT EXISTS availability_by_seq ON availability (seq);

-- Facts about this database. database_id tells a caller holding a change version from another
-- database (a replaced file) that it must resynchronise from scratch.
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT OR IGNORE INTO meta (key, value) VALUES ('database_id', lower(hex(randomblob(6))));
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');

-- The catalog. Specs are the providers' published figures (vCPUs, memory in GiB, GPUs).
-- 'c5' is the original row: an instance family, listed with the specs of its smallest size.
INSERT OR IGNORE INTO hardware (id, provider, name, vcpus, memory_gib, gpus) VALUES
    (1, 'Amazon', 'c5', 2, 4, 0),
    (2, 'Azure', 'H16mr', 16, 224, 0);

INSERT OR IGNORE INTO hardware (provider, name, vcpus, memory_gib, gpus) VALUES
    -- Amazon EC2
    ('Amazon', 't3.micro', 2, 1, 0),
    ('Amazon', 't3.medium', 2, 4, 0),
    ('Amazon', 't3.xlarge', 4, 16, 0),
    ('Amazon', 'm5.large', 2, 8, 0),
    ('Amazon', 'm5.xlarge', 4, 16, 0),
    ('Amazon', 'm5.4xlarge', 16, 64, 0),
    ('Amazon', 'm6i.2xlarge', 8, 32, 0),
    ('Amazon', 'm7g.xlarge', 4, 16, 0),
    ('Amazon', 'm7i.8xlarge', 32, 128, 0),
    ('Amazon', 'c5.xlarge', 4, 8, 0),
    ('Amazon', 'c5.9xlarge', 36, 72, 0),
    ('Amazon', 'c6g.4xlarge', 16, 32, 0),
    ('Amazon', 'c7i.large', 2, 4, 0),
    ('Amazon', 'c7g.16xlarge', 64, 128, 0),
    ('Amazon', 'r5.large', 2, 16, 0),
    ('Amazon', 'r6i.4xlarge', 16, 128, 0),
    ('Amazon', 'r7g.8xlarge', 32, 256, 0),
    ('Amazon', 'x2idn.16xlarge', 64, 1024, 0),
    ('Amazon', 'i4i.2xlarge', 8, 64, 0),
    ('Amazon', 'p3.2xlarge', 8, 61, 1),
    ('Amazon', 'p3.16xlarge', 64, 488, 8),
    ('Amazon', 'p4d.24xlarge', 96, 1152, 8),
    ('Amazon', 'p5.48xlarge', 192, 2048, 8),
    ('Amazon', 'g4dn.xlarge', 4, 16, 1),
    ('Amazon', 'g5.2xlarge', 8, 32, 1),
    ('Amazon', 'g5.12xlarge', 48, 192, 4),
    ('Amazon', 'g6.xlarge', 4, 16, 1),
    ('Amazon', 'inf2.xlarge', 4, 16, 0),
    ('Amazon', 'trn1.32xlarge', 128, 512, 0),
    ('Amazon', 'hpc7g.16xlarge', 64, 128, 0),
    -- Microsoft Azure
    ('Azure', 'Standard_B2s', 2, 4, 0),
    ('Azure', 'Standard_D2s_v5', 2, 8, 0),
    ('Azure', 'Standard_D4s_v5', 4, 16, 0),
    ('Azure', 'Standard_D16s_v5', 16, 64, 0),
    ('Azure', 'Standard_D8as_v5', 8, 32, 0),
    ('Azure', 'Standard_E4s_v5', 4, 32, 0),
    ('Azure', 'Standard_E32s_v5', 32, 256, 0),
    ('Azure', 'Standard_F4s_v2', 4, 8, 0),
    ('Azure', 'Standard_F16s_v2', 16, 32, 0),
    ('Azure', 'Standard_F72s_v2', 72, 144, 0),
    ('Azure', 'Standard_M128s', 128, 2048, 0),
    ('Azure', 'Standard_L8s_v3', 8, 64, 0),
    ('Azure', 'Standard_HB120rs_v3', 120, 448, 0),
    ('Azure', 'Standard_HC44rs', 44, 352, 0),
    ('Azure', 'Standard_NC6s_v3', 6, 112, 1),
    ('Azure', 'Standard_NC24ads_A100_v4', 24, 220, 1),
    ('Azure', 'Standard_NC4as_T4_v3', 4, 28, 1),
    ('Azure', 'Standard_ND96asr_v4', 96, 900, 8),
    ('Azure', 'Standard_ND96isr_H100_v5', 96, 1900, 8),
    ('Azure', 'Standard_NV36ads_A10_v5', 36, 440, 1),
    ('Azure', 'Standard_D2pls_v5', 2, 4, 0),
    ('Azure', 'Standard_E16ps_v5', 16, 128, 0),
    -- Google Cloud
    ('Google', 'e2-micro', 2, 1, 0),
    ('Google', 'e2-standard-4', 4, 16, 0),
    ('Google', 'e2-highmem-8', 8, 64, 0),
    ('Google', 'n2-standard-8', 8, 32, 0),
    ('Google', 'n2-highcpu-32', 32, 32, 0),
    ('Google', 'n2d-standard-16', 16, 64, 0),
    ('Google', 'n4-standard-4', 4, 16, 0),
    ('Google', 'c2-standard-30', 30, 120, 0),
    ('Google', 'c3-standard-22', 22, 88, 0),
    ('Google', 'c3d-highmem-90', 90, 708, 0),
    ('Google', 'c4-standard-8', 8, 30, 0),
    ('Google', 't2d-standard-16', 16, 64, 0),
    ('Google', 't2a-standard-8', 8, 32, 0),
    ('Google', 'm1-ultramem-40', 40, 961, 0),
    ('Google', 'm3-megamem-64', 64, 976, 0),
    ('Google', 'h3-standard-88', 88, 352, 0),
    ('Google', 'a2-highgpu-1g', 12, 85, 1),
    ('Google', 'a2-highgpu-8g', 96, 680, 8),
    ('Google', 'a2-ultragpu-1g', 12, 170, 1),
    ('Google', 'a3-highgpu-8g', 208, 1872, 8),
    ('Google', 'g2-standard-4', 4, 16, 1),
    ('Google', 'g2-standard-48', 48, 192, 4),
    ('Google', 'n1-standard-8', 8, 30, 0),
    ('Google', 'z3-highmem-88', 88, 704, 0);

-- Every profile has an availability row from the start: NULL means "not computed yet".
INSERT OR IGNORE INTO availability (hardware_id) SELECT id FROM hardware;

-- Migration 2: a bounded history of each profile's results (GET /hardware/{provider}/{name}/history).
-- Expand only: a new table, nothing existing changes, so the previous release still runs on
-- this schema (it never reads or writes the table; see the expand_ rule in the README).
-- Each saved result appends a row here in the same transaction; the service prunes it by age
-- and by count per profile (--history-max-age, --history-max-per-profile).
CREATE TABLE IF NOT EXISTS availability_history (
    id           INTEGER PRIMARY KEY,
    hardware_id  INTEGER NOT NULL REFERENCES hardware (id) ON DELETE CASCADE,
    availability TEXT    NOT NULL CHECK (availability IN ('HIGH', 'MEDIUM', 'LOW')),
    computed_at  TEXT    NOT NULL  -- RFC 3339, UTC
);
-- "The latest N of a profile" (the history endpoint, the list's `recent`, count pruning).
CREATE INDEX IF NOT EXISTS availability_history_latest
    ON availability_history (hardware_id, computed_at DESC, id DESC);
-- Age pruning deletes the oldest rows first, in batches.
CREATE INDEX IF NOT EXISTS availability_history_by_computed_at
    ON availability_history (computed_at);
UPDATE meta SET value = '2' WHERE key = 'schema_version';

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

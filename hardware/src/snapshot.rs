//! The served snapshot: every profile with its latest availability, in memory.
//!
//! A snapshot is immutable; updates build a new one and swap it in atomically (arc-swap), so a
//! request reads a consistent view without locks and never touches the database. Rows are
//! `Arc`s, so building the next snapshot of 100,000 profiles copies pointers, not strings.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::profile::ProfileRow;

/// Identifies a snapshot: the database it came from and the highest change sequence in it.
/// Sent to callers as the opaque string `<database_id>-<seq>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version {
    pub database_id: String,
    pub seq: i64,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.database_id, self.seq)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("'{0}' is not a snapshot version (expected the `version` of an earlier response)")]
pub struct BadVersion(pub String);

impl FromStr for Version {
    type Err = BadVersion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadVersion(s.chars().take(80).collect());
        let (database_id, seq) = s.rsplit_once('-').ok_or_else(bad)?;
        if !crate::store::database_id::is_header_safe(database_id) {
            return Err(bad());
        }
        let seq = seq.parse::<i64>().map_err(|_| bad())?;
        if seq < 0 {
            return Err(bad());
        }
        Ok(Self {
            database_id: database_id.to_owned(),
            seq,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Snapshot {
    pub version: Version,
    /// Sorted by id.
    pub rows: Vec<Arc<ProfileRow>>,
    /// Distinct providers, sorted; what the `provider` filter accepts.
    pub providers: Vec<String>,
}

impl Snapshot {
    pub fn new(database_id: String, mut rows: Vec<ProfileRow>) -> Self {
        rows.sort_by_key(|row| row.id);
        let seq = rows.iter().map(|row| row.seq).max().unwrap_or(0);
        let rows: Vec<Arc<ProfileRow>> = rows.into_iter().map(Arc::new).collect();
        let providers = providers_of(&rows);
        Self {
            version: Version { database_id, seq },
            rows,
            providers,
        }
    }

    /// A new snapshot with `changes` applied (insert or replace by id). Changes that are not
    /// newer than what the snapshot holds are ignored, so applying the same delta twice, or
    /// an old one late, is harmless.
    pub fn with_changes(&self, changes: Vec<ProfileRow>) -> Self {
        let mut rows = self.rows.clone();
        let mut seq = self.version.seq;
        let mut inserted = false;
        for change in changes {
            seq = seq.max(change.seq);
            match rows.binary_search_by_key(&change.id, |row| row.id) {
                Ok(at) => {
                    if change.seq >= rows[at].seq {
                        rows[at] = Arc::new(change);
                    }
                }
                Err(at) => {
                    rows.insert(at, Arc::new(change));
                    inserted = true;
                }
            }
        }
        let providers = if inserted {
            providers_of(&rows)
        } else {
            self.providers.clone()
        };
        Self {
            version: Version {
                database_id: self.version.database_id.clone(),
                seq,
            },
            rows,
            providers,
        }
    }

    /// The rows written after `since`, or `None` when `since` cannot be answered with a delta
    /// (another database, or a version ahead of this one) and the caller must take everything.
    pub fn changes_since(&self, since: &Version) -> Option<Vec<Arc<ProfileRow>>> {
        if since.database_id != self.version.database_id || since.seq > self.version.seq {
            return None;
        }
        Some(
            self.rows
                .iter()
                .filter(|row| row.seq > since.seq)
                .cloned()
                .collect(),
        )
    }

    /// The provider as spelled in the catalog, matched case-insensitively.
    pub fn known_provider(&self, provider: &str) -> Option<&str> {
        self.providers
            .iter()
            .find(|known| known.eq_ignore_ascii_case(provider))
            .map(String::as_str)
    }
}

fn providers_of(rows: &[Arc<ProfileRow>]) -> Vec<String> {
    rows.iter()
        .map(|row| row.provider.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The current snapshot, shared by the refresher (writer) and the handlers (readers).
#[derive(Clone)]
pub struct SnapshotHandle(Arc<ArcSwap<Snapshot>>);

impl SnapshotHandle {
    pub fn new(snapshot: Snapshot) -> Self {
        Self(Arc::new(ArcSwap::from_pointee(snapshot)))
    }

    pub fn load(&self) -> Arc<Snapshot> {
        self.0.load_full()
    }

    /// Applies changes; only the refresher writes, so read-modify-write does not race.
    pub fn apply(&self, changes: Vec<ProfileRow>) {
        if changes.is_empty() {
            return;
        }
        let next = self.0.load().with_changes(changes);
        self.0.store(Arc::new(next));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::availability::Availability;

    fn row(id: i64, provider: &str, seq: i64) -> ProfileRow {
        ProfileRow {
            id,
            provider: provider.into(),
            name: format!("n{id}"),
            availability: None,
            computed_at: None,
            vcpus: 1,
            memory_gib: 1.0,
            gpus: 0,
            recent: Vec::new(),
            seq,
        }
    }

    #[test]
    fn versions_round_trip_and_malformed_ones_are_refused() {
        let version: Version = "ab12-42".parse().unwrap();
        assert_eq!(version.to_string(), "ab12-42");
        for bad in ["", "42", "ab12-", "-4", "ab12-x", "ab 12-4", "ab12--1"] {
            assert!(bad.parse::<Version>().is_err(), "{bad:?} parsed");
        }
    }

    proptest::proptest! {
        /// Every version a snapshot can have is written and read back unchanged (it travels as
        /// `since` and in the ETag).
        #[test]
        fn every_version_round_trips(database_id in "[A-Za-z0-9]{1,64}", seq in 0..=i64::MAX) {
            let version = Version { database_id, seq };
            proptest::prop_assert_eq!(version.to_string().parse::<Version>(), Ok(version));
        }

        /// Anything else is a `BadVersion` quoting at most 80 characters of it, never a panic.
        #[test]
        fn any_string_is_a_version_or_refused(text in "[a-z0-9+ -]{0,8}|\\PC{0,90}") {
            match text.parse::<Version>() {
                // `ab-007` is `ab-7`: whatever parses is read back as itself.
                Ok(version) => proptest::prop_assert_eq!(version.to_string().parse(), Ok(version)),
                Err(BadVersion(quoted)) => proptest::prop_assert!(quoted.chars().count() <= 80),
            }
        }
    }

    #[test]
    fn changes_since_returns_newer_rows_or_asks_for_a_full_sync() {
        let snapshot = Snapshot::new("db".into(), vec![row(2, "Azure", 5), row(1, "Amazon", 3)]);
        assert_eq!(snapshot.version.seq, 5);
        assert_eq!(snapshot.providers, vec!["Amazon", "Azure"]);
        let since = |seq| Version {
            database_id: "db".into(),
            seq,
        };
        let ids = |rows: Vec<Arc<ProfileRow>>| rows.iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(snapshot.changes_since(&since(3)).unwrap()), vec![2]);
        assert!(snapshot.changes_since(&since(5)).unwrap().is_empty());
        assert!(snapshot.changes_since(&since(6)).is_none());
        let other = Version {
            database_id: "other".into(),
            seq: 1,
        };
        assert!(snapshot.changes_since(&other).is_none());
    }

    #[test]
    fn applying_changes_replaces_inserts_and_ignores_older_writes() {
        let snapshot = Snapshot::new("db".into(), vec![row(1, "Amazon", 3), row(3, "Azure", 4)]);
        let mut newer = row(1, "Amazon", 7);
        newer.availability = Some(Availability::Low);
        let mut older = row(3, "Azure", 2);
        older.availability = Some(Availability::High);
        let next = snapshot.with_changes(vec![newer, older, row(2, "Google", 6)]);
        assert_eq!(next.version.seq, 7);
        assert_eq!(
            next.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert_eq!(next.rows[0].availability, Some(Availability::Low));
        assert_eq!(next.rows[2].availability, None, "older write ignored");
        assert_eq!(next.providers, vec!["Amazon", "Azure", "Google"]);
        assert_eq!(next.known_provider("google"), Some("Google"));
    }
}

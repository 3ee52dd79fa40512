//! `metrics import-events` (the real binary, input on stdin) into a SQLite file, read back
//! through the store: every event with its key, value and time; a malformed line stops the
//! import naming it after committing the lines before it; an empty input imports nothing.

use metrics::domain::{Event, UtcHour};
use metrics::storage::{Database, Store};

use crate::helpers::*;

#[tokio::test]
async fn every_imported_event_is_kept_with_its_key_value_and_time_and_no_aggregate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.db");
    let (input, mut sent) = import_input(60);
    // Batches of 7: several appends, the last one partial.
    let output = import_events(path.to_str().unwrap(), &input, &["--batch", "7"]);
    assert_eq!(imported_counts(&output), (60, 3));

    let store = Store::open(&Database::Sqlite(path)).await.unwrap();
    sort_events(&mut sent);
    assert_eq!(stored_events(&store, "pimp.").await, sent);
    // Events only: the series admission and the hourly aggregates are bypassed.
    let first_hour = IMPORT_FIRST_DAY * 24;
    for hour in first_hour..first_hour + 72 {
        let stats = store.read("pimp.c1.e0.req", UtcHour(hour)).await.unwrap();
        assert!(stats.is_none(), "hour {hour} has an aggregate");
    }
}

#[tokio::test]
async fn a_malformed_line_exits_non_zero_naming_it_after_committing_the_lines_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.db");
    let (good, sent) = import_input(12);
    // import_input puts an empty line after its 10th event: 13 lines, then the bad one.
    assert_eq!(good.lines().count(), 13);
    let input = format!("{good}1764815641000000 pimp.c9.e0.req:1\n5\tpimp.c9.e0.req:2\n");
    let output = import_events(path.to_str().unwrap(), &input, &["--batch", "5"]);
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("line 14: no tab") && stderr.contains("12 events from the lines before"),
        "{stderr}"
    );
    assert!(stderr.contains("tail -n +14"), "{stderr}");

    let store = Store::open(&Database::Sqlite(path.clone())).await.unwrap();
    let mut sent: Vec<Event> = sent;
    sort_events(&mut sent);
    assert_eq!(stored_events(&store, "pimp.").await, sent);

    for (bad, reason) in [
        ("-1\tpimp.c1.e0.req:1", "received_at '-1'"),
        ("1764815641000000\tpimp.c1.e0.req:1|c", "counters"),
        ("1764815641000000\tpimp c1:1", "key must be"),
    ] {
        let output = import_events(path.to_str().unwrap(), &format!("\n{bad}\n"), &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{bad}");
        assert!(
            stderr.contains("line 2: ") && stderr.contains(reason),
            "{bad}: {stderr}"
        );
        assert!(
            stderr.contains("0 events from the lines before"),
            "{stderr}"
        );
    }
}

#[tokio::test]
async fn an_empty_input_imports_nothing_and_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.db");
    for input in ["", "\n\n\r\n"] {
        let output = import_events(path.to_str().unwrap(), input, &[]);
        assert_eq!(imported_counts(&output), (0, 0));
    }
    let store = Store::open(&Database::Sqlite(path)).await.unwrap();
    assert!(stored_events(&store, "p").await.is_empty());
}

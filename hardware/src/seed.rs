//! `hardware seed --profiles N`: grows the catalog to N profiles for scale tests, with names
//! derived from the real catalog so that filters and searches behave as they would in real life.

use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};

use crate::store::{NewProfile, Store, StoreError};

const BATCH: usize = 5_000;

/// Adds generated profiles until the catalog holds `target`; returns how many were added.
pub async fn grow_catalog(
    store: Arc<dyn Store>,
    target: usize,
    progress: bool,
) -> Result<usize, StoreError> {
    let existing = store.count_profiles().await?;
    if existing >= target {
        return Ok(0);
    }
    let templates: Vec<NewProfile> = store
        .load_rows(None)
        .await?
        .into_iter()
        .map(|row| NewProfile {
            provider: row.provider,
            name: row.name,
            vcpus: row.vcpus,
            memory_gib: row.memory_gib,
            gpus: row.gpus,
        })
        .collect();
    let bar = if progress {
        ProgressBar::new((target - existing) as u64).with_style(
            ProgressStyle::with_template(
                "{spinner} seeding [{bar:40}] {pos}/{len} profiles ({per_sec}, {eta} left)",
            )
            .expect("valid template")
            .progress_chars("=> "),
        )
    } else {
        ProgressBar::hidden()
    };
    let mut added = 0;
    let mut serial = existing;
    while existing + added < target {
        let want = (target - existing - added).min(BATCH);
        let batch: Vec<NewProfile> = (0..want)
            .map(|offset| generated(&templates, serial + offset))
            .collect();
        serial += want;
        let inserted = store.insert_profiles(&batch).await?;
        added += inserted;
        bar.inc(inserted as u64);
    }
    bar.finish_and_clear();
    Ok(added)
}

/// The n-th generated profile: a real template with a region-like suffix, e.g.
/// `m5.xlarge-r0042`, so the (provider, name) pair is unique.
fn generated(templates: &[NewProfile], n: usize) -> NewProfile {
    let template = &templates[n % templates.len()];
    NewProfile {
        provider: template.provider.clone(),
        name: format!("{}-r{:05}", template.name, n / templates.len()),
        vcpus: template.vcpus,
        memory_gib: template.memory_gib,
        gpus: template.gpus,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SqliteStore;

    #[tokio::test]
    async fn seeding_grows_the_catalog_to_exactly_the_target_and_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::open(&dir.path().join("hw.db")).await.unwrap());
        let base = store.count_profiles().await.unwrap();
        let added = grow_catalog(store.clone(), 12_345, false).await.unwrap();
        assert_eq!(added, 12_345 - base);
        assert_eq!(store.count_profiles().await.unwrap(), 12_345);
        assert_eq!(grow_catalog(store.clone(), 12_345, false).await.unwrap(), 0);
        let rows = store.load_rows(None).await.unwrap();
        assert_eq!(
            (rows[0].provider.as_str(), rows[0].name.as_str()),
            ("Amazon", "c5")
        );
    }
}

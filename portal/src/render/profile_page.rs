//! A profile's own page: its specs, its current value and its history (a bar timeline and a
//! table), from the synced snapshot plus, when `hardware` answers, the history it keeps.

use askama::Template;

use super::assets;
use super::trend::Trend;
use super::view::{Stamp, availability_class_of};
use crate::domain::{Availability, HistoryEntry, Profile};

pub struct HistoryRow {
    pub at: Stamp,
    pub class: &'static str,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "profile.html")]
pub struct ProfilePage {
    pub css_href: &'static str,
    pub js_href: &'static str,
    /// Empty with `poll_ms` 0: this page does not refresh itself.
    pub version_token: String,
    pub poll_ms: u64,
    pub provider: String,
    pub name: String,
    pub vcpus: String,
    pub memory: String,
    pub gpus: String,
    pub badge_class: &'static str,
    pub badge_label: &'static str,
    pub computed: Option<Stamp>,
    /// The timeline, oldest bar first: from the history, or else from the synced trend.
    pub trend: Option<Trend>,
    /// The history table, newest first; empty when it could not be had.
    pub rows: Vec<HistoryRow>,
    /// Why the table is missing or short, when it is.
    pub note: Option<String>,
}

/// What the page knows of the history.
pub enum HistoryView<'a> {
    Fetched(&'a [HistoryEntry]),
    /// Not available now; the reason, in words, for the page.
    Unavailable(&'static str),
}

impl ProfilePage {
    pub fn new(profile: &Profile, history: HistoryView<'_>) -> Self {
        let (badge_class, badge_label) = match profile.availability {
            Some(availability) => (availability_class_of(availability), availability.as_str()),
            None => ("pending", "not computed yet"),
        };
        let (trend, rows, note) = match history {
            HistoryView::Fetched(entries) => {
                let levels: Vec<Availability> = entries.iter().map(|e| e.availability).collect();
                let rows = entries
                    .iter()
                    .map(|entry| HistoryRow {
                        at: Stamp::new(entry.computed_at),
                        class: availability_class_of(entry.availability),
                        label: entry.availability.as_str(),
                    })
                    .collect::<Vec<_>>();
                let note = rows
                    .is_empty()
                    .then(|| "No result has been recorded for this profile yet.".to_owned());
                (Trend::of(&levels), rows, note)
            }
            HistoryView::Unavailable(reason) => (
                Trend::of(&profile.recent),
                Vec::new(),
                Some(format!(
                    "{reason} The bars show the latest results as last synced; their times \
                     are not known here."
                )),
            ),
        };
        Self {
            css_href: assets::css_href(),
            js_href: assets::js_href(),
            version_token: String::new(),
            poll_ms: 0,
            provider: profile.provider.clone(),
            name: profile.name.clone(),
            vcpus: profile.vcpus.map(|n| n.to_string()).unwrap_or_default(),
            memory: profile
                .memory_gib
                .map(|gib| format!("{gib} GiB"))
                .unwrap_or_default(),
            gpus: profile.gpus.map(|n| n.to_string()).unwrap_or_default(),
            badge_class,
            badge_label,
            computed: profile.computed_at.map(Stamp::new),
            trend,
            rows,
            note,
        }
    }
}

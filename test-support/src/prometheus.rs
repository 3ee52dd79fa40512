//! One sample out of the Prometheus text format that every service serves on `/metrics`.

/// The value of `series` in `text`: a metric name, with its labels written exactly as the
/// service writes them (`metrics_messages_ingested_total{transport="udp"}`), followed by a
/// space and the value. `None` when no such line is there.
pub fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        line.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

/// `GET {base}/metrics` as text.
#[cfg(feature = "http")]
pub async fn scrape(client: &reqwest::Client, base: &str) -> String {
    let url = format!("{base}/metrics");
    client
        .get(&url)
        .send()
        .await
        .unwrap_or_else(|err| panic!("GET {url}: {err}"))
        .text()
        .await
        .unwrap_or_else(|err| panic!("reading {url}: {err}"))
}

/// One sample of `series` scraped from `{base}/metrics`; panics when it is not there.
#[cfg(feature = "http")]
pub async fn metric(client: &reqwest::Client, base: &str, series: &str) -> f64 {
    let text = scrape(client, base).await;
    sample(&text, series).unwrap_or_else(|| panic!("{series} is not in {base}/metrics"))
}

#[cfg(test)]
mod tests {
    use super::sample;

    const TEXT: &str = "# HELP x_total Things.\n# TYPE x_total counter\n\
                        x_total 3\nx_total_seconds 9\ny{kind=\"a\"} 1.5\ny{kind=\"b\"} 2\n";

    #[test]
    fn a_series_is_matched_whole_with_its_labels() {
        assert_eq!(sample(TEXT, "x_total"), Some(3.0));
        assert_eq!(sample(TEXT, "y{kind=\"b\"}"), Some(2.0));
        assert_eq!(
            sample(TEXT, "x"),
            None,
            "a prefix of a name is not the name"
        );
        assert_eq!(
            sample(TEXT, "y"),
            None,
            "a labelled series needs its labels"
        );
    }
}

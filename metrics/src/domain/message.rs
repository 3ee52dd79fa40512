//! One message line, parsed without allocating (the UDP hot path calls this per line).
//!
//! Two formats share the port:
//! * native `key:value` (milliseconds);
//! * the StatsD line protocol, `key:value|type[|@rate][|#tags]`: timings (`ms`, and the
//!   histogram `h` and distribution `d` types that clients use for the same thing) are
//!   accepted; counters (`c`), gauges (`g`) and sets (`s`) are not response times, so they are
//!   refused, each with its own reason. A sample rate must be in (0, 1]; it does not weight
//!   the value (each line is one measured response). DogStatsD `#tags` are accepted and
//!   ignored (the key carries the tenant, see docs/metrics.md).

use metrics_client::validate_key;

/// Why a line was rejected; also the `reason` label of the dropped-messages counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("expected 'key:value' or the StatsD 'key:value|ms[|@rate][|#tags]'")]
    Malformed,
    #[error("key must be 1 to 128 characters of A-Z a-z 0-9 _ . -")]
    BadKey,
    #[error("value must be a number of milliseconds from 0 to 1e12")]
    BadValue,
    #[error("StatsD counters (|c) are not response times")]
    StatsdCounter,
    #[error("StatsD gauges (|g) are not response times")]
    StatsdGauge,
    #[error("StatsD sets (|s) are not response times")]
    StatsdSet,
}

impl MessageError {
    pub fn label(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::BadKey => "bad_key",
            Self::BadValue => "bad_value",
            Self::StatsdCounter => "statsd_counter",
            Self::StatsdGauge => "statsd_gauge",
            Self::StatsdSet => "statsd_set",
        }
    }
}

/// Parses a native or StatsD line (a trailing `\r` is tolerated). The key borrows from the
/// input.
pub fn parse_line(line: &[u8]) -> Result<(&str, f64), MessageError> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let colon = line
        .iter()
        .position(|&byte| byte == b':')
        .ok_or(MessageError::Malformed)?;
    let key = std::str::from_utf8(&line[..colon]).map_err(|_| MessageError::BadKey)?;
    validate_key(key).map_err(|_| MessageError::BadKey)?;
    let mut fields = line[colon + 1..].split(|&byte| byte == b'|');
    let value = fields.next().unwrap_or_default();
    if let Some(kind) = fields.next() {
        check_statsd_type(kind)?;
        for field in fields {
            check_statsd_extension(field)?;
        }
    }
    let value = parse_value(value)?;
    Ok((key, value))
}

/// Timings pass; the other StatsD types are refused by name; anything else is malformed.
fn check_statsd_type(kind: &[u8]) -> Result<(), MessageError> {
    match kind {
        b"ms" | b"h" | b"d" => Ok(()),
        b"c" => Err(MessageError::StatsdCounter),
        b"g" => Err(MessageError::StatsdGauge),
        b"s" => Err(MessageError::StatsdSet),
        _ => Err(MessageError::Malformed),
    }
}

/// `@rate` must be a number in (0, 1]; `#tags` are ignored; nothing else is allowed.
fn check_statsd_extension(field: &[u8]) -> Result<(), MessageError> {
    match field.split_first() {
        Some((b'@', rate)) => {
            let rate: f64 = std::str::from_utf8(rate)
                .ok()
                .and_then(|text| text.parse().ok())
                .ok_or(MessageError::Malformed)?;
            if rate > 0.0 && rate <= 1.0 {
                Ok(())
            } else {
                Err(MessageError::Malformed)
            }
        }
        Some((b'#', _)) => Ok(()),
        _ => Err(MessageError::Malformed),
    }
}

/// A response time in milliseconds: 0 to [`metrics_client::MAX_VALUE_MS`] (so `inf`, `NaN`,
/// `-1` and `1e300` fail).
pub fn parse_value(text: &[u8]) -> Result<f64, MessageError> {
    let value: f64 = std::str::from_utf8(text)
        .map_err(|_| MessageError::BadValue)?
        .parse()
        .map_err(|_| MessageError::BadValue)?;
    if metrics_client::is_valid_value(value) {
        Ok(value)
    } else {
        Err(MessageError::BadValue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_well_formed_line_gives_its_key_and_value() {
        assert_eq!(parse_line(b"portal-h-1:12.5"), Ok(("portal-h-1", 12.5)));
        assert_eq!(parse_line(b"a:0\r"), Ok(("a", 0.0)));
        assert_eq!(parse_line(b"a:1e3"), Ok(("a", 1000.0)));
    }

    #[test]
    fn statsd_timings_histograms_and_distributions_are_accepted() {
        for line in [
            &b"myapp.req:12|ms"[..],
            b"myapp.req:12|h",
            b"myapp.req:12|d",
            b"myapp.req:12|ms|@0.5",
            b"myapp.req:12|ms|@1",
            b"myapp.req:12|ms|#env:prod,region:eu",
            b"myapp.req:12|d|@0.1|#env:prod",
            b"myapp.req:12|ms\r",
        ] {
            assert_eq!(
                parse_line(line),
                Ok(("myapp.req", 12.0)),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn other_statsd_types_are_refused_each_with_its_own_reason() {
        for (line, error) in [
            (&b"hits:1|c"[..], MessageError::StatsdCounter),
            (b"hits:1|c|@0.1", MessageError::StatsdCounter),
            (b"hits:-1|c", MessageError::StatsdCounter),
            (b"load:+3|g", MessageError::StatsdGauge),
            (b"users:alice|s", MessageError::StatsdSet),
        ] {
            assert_eq!(parse_line(line), Err(error));
            assert!(error.label().starts_with("statsd_"));
        }
    }

    #[test]
    fn each_kind_of_bad_line_is_told_apart() {
        for (line, error) in [
            (&b"no-colon"[..], MessageError::Malformed),
            (b"", MessageError::Malformed),
            (b":1", MessageError::BadKey),
            (b"a/b:1", MessageError::BadKey),
            (b"\xff\xfe:1", MessageError::BadKey),
            (b"a:", MessageError::BadValue),
            (b"a:abc", MessageError::BadValue),
            (b"a:-1", MessageError::BadValue),
            (b"a:inf", MessageError::BadValue),
            (b"a:NaN", MessageError::BadValue),
            (b"a:1:2", MessageError::BadValue),
            (b"a: 1", MessageError::BadValue),
            (b"a:-1|ms", MessageError::BadValue),
            (b"a:1|", MessageError::Malformed),
            (b"a:1|x", MessageError::Malformed),
            (b"a:1|ms|@0", MessageError::Malformed),
            (b"a:1|ms|@1.5", MessageError::Malformed),
            (b"a:1|ms|@abc", MessageError::Malformed),
            (b"a:1|ms|extra", MessageError::Malformed),
        ] {
            assert_eq!(
                parse_line(line),
                Err(error),
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// A valid key: 1 to 128 characters of the key alphabet.
        fn key() -> impl Strategy<Value = String> {
            "[A-Za-z0-9_.-]{1,128}"
        }

        /// A valid value, 0 to MAX_VALUE_MS, as Rust writes it (the shortest text that reads
        /// back as the same number), with the edges and whole numbers often.
        fn value() -> impl Strategy<Value = f64> {
            prop_oneof![
                0.0..=metrics_client::MAX_VALUE_MS,
                (0u64..=1_000_000_000_000).prop_map(|n| n as f64),
                Just(0.0),
                Just(metrics_client::MAX_VALUE_MS),
                Just(f64::MIN_POSITIVE),
            ]
        }

        /// The StatsD tail after `key:value`: a timing type, maybe a rate in (0, 1], maybe
        /// DogStatsD tags (anything but `|` and newlines), in the order clients write them.
        fn statsd_tail() -> impl Strategy<Value = String> {
            (
                prop::sample::select(vec!["ms", "h", "d"]),
                prop::option::of(prop_oneof![
                    (f64::MIN_POSITIVE..=1.0).prop_map(|rate| rate.to_string()),
                    Just("1".to_owned()),
                    Just("0.5".to_owned()),
                    Just("1e-3".to_owned()),
                ]),
                prop::option::of("[^|\r\n]{0,40}"),
                any::<bool>(),
            )
                .prop_map(|(kind, rate, tags, tags_first)| {
                    let rate = rate.map(|rate| format!("|@{rate}"));
                    let tags = tags.map(|tags| format!("|#{tags}"));
                    let (first, second) = if tags_first {
                        (tags, rate)
                    } else {
                        (rate, tags)
                    };
                    format!(
                        "|{kind}{}{}",
                        first.unwrap_or_default(),
                        second.unwrap_or_default()
                    )
                })
        }

        proptest! {
            /// Any valid key and value, written natively, parses back to exactly that key
            /// and value (a trailing `\r` too).
            #[test]
            fn native_lines_round_trip(key in key(), value in value(), cr in any::<bool>()) {
                let line = format!("{key}:{value}{}", if cr { "\r" } else { "" });
                prop_assert_eq!(parse_line(line.as_bytes()), Ok((key.as_str(), value)), "{}", line);
            }

            /// The same as any StatsD timing, with any rate and tags.
            #[test]
            fn statsd_timings_round_trip(key in key(), value in value(), tail in statsd_tail()) {
                let line = format!("{key}:{value}{tail}");
                prop_assert_eq!(parse_line(line.as_bytes()), Ok((key.as_str(), value)), "{}", line);
            }

            /// Arbitrary bytes never panic the parser, and whatever it accepts has a valid key
            /// and a value from 0 to MAX_VALUE_MS.
            #[test]
            fn arbitrary_bytes_never_panic_and_accepted_lines_are_valid(
                line in prop::collection::vec(any::<u8>(), 0..64)
            ) {
                check_any(&line)?;
            }

            /// The same for bytes of the protocol's own alphabet, which reach far more of the
            /// parser than random bytes do.
            #[test]
            fn protocol_like_bytes_never_panic_and_accepted_lines_are_valid(
                line in prop::collection::vec(
                    prop::sample::select(b"ab.:|@#0123456789-+e msdhcgx\xff\r".to_vec()),
                    0..24,
                )
            ) {
                check_any(&line)?;
            }
        }

        fn check_any(line: &[u8]) -> Result<(), TestCaseError> {
            if let Ok((key, value)) = parse_line(line) {
                prop_assert!(validate_key(key).is_ok());
                prop_assert!(metrics_client::is_valid_value(value), "{value}");
            }
            Ok(())
        }
    }
}

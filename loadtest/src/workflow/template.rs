//! Path, header and body templates: literal text with `{variable}` placeholders.
//!
//! Only `{name}` or `{random:LOW-HIGH}` with a lower-case identifier is a placeholder, so JSON
//! bodies (`{"key": 1}`) need no escaping. Unknown names are rejected when the file is loaded,
//! not at request time.

use std::fmt::Write;

/// A value a placeholder stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variable {
    /// 0-based index of the actor among the actors of its `[[actor]]` entry.
    ActorIndex,
    /// The group index (e.g. the customer), named by the actor's `group_var`.
    Group,
    /// The index within the group (e.g. the endpoint), named by `member_var`.
    Member,
    /// Which instance of an included workflow this is (`0`, `3`, `1.2` when nested).
    Instance,
    /// 0-based count of the actor's scheduled iterations so far.
    Iteration,
    /// Current page while following pagination (1 on the first request).
    Page,
    /// A pseudo-random integer in `low..=high`, different per request but reproducible.
    Random { low: u64, high: u64 },
    /// The wall-clock time when the iteration starts, plus an offset (`{time}`,
    /// `{time:-10m}`, `{time:+1h}`), as RFC 3339 UTC with microseconds and a `Z`
    /// (`2026-12-04T02:34:01.123456Z`, safe in a query string). Real time even under
    /// `--compress`: it is what a client asking for "the last 10 minutes" would send.
    Time { offset_micros: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Variable(Variable),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    segments: Vec<Segment>,
}

/// The values placeholders resolve to for one request.
#[derive(Debug, Clone, Copy)]
pub struct Values<'a> {
    pub actor_index: u64,
    pub group: u64,
    pub member: u64,
    pub instance: &'a str,
    pub iteration: u64,
    pub page: u64,
    /// Seed for `{random:...}`; differs per request.
    pub seed: u64,
    /// What `{time}` means: microseconds since the Unix epoch, UTC.
    pub now_micros: i64,
}

/// Names the actor's group and member variables are written as (`customer`, `endpoint`).
#[derive(Debug, Clone)]
pub struct VariableNames<'a> {
    pub group: &'a str,
    pub member: &'a str,
}

impl Template {
    /// Parses `text`; the error names the unknown placeholder and lists the known ones.
    pub fn parse(text: &str, names: &VariableNames<'_>) -> Result<Self, String> {
        let mut segments = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            literal.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let placeholder = after
                .find('}')
                .map(|close| &after[..close])
                .filter(|inner| looks_like_placeholder(inner));
            match placeholder {
                Some(inner) => {
                    if !literal.is_empty() {
                        segments.push(Segment::Literal(std::mem::take(&mut literal)));
                    }
                    segments.push(Segment::Variable(parse_variable(inner, names)?));
                    rest = &after[inner.len() + 1..];
                }
                None => {
                    literal.push('{');
                    rest = after;
                }
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            segments.push(Segment::Literal(literal));
        }
        Ok(Self { segments })
    }

    pub fn uses(&self, variable: Variable) -> bool {
        self.segments
            .iter()
            .any(|segment| match (segment, variable) {
                (Segment::Variable(Variable::Random { .. }), Variable::Random { .. }) => true,
                (Segment::Variable(Variable::Time { .. }), Variable::Time { .. }) => true,
                (Segment::Variable(own), _) => *own == variable,
                _ => false,
            })
    }

    pub fn render(&self, values: &Values<'_>, out: &mut String) {
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => out.push_str(text),
                Segment::Variable(variable) => {
                    let _ = match variable {
                        Variable::ActorIndex => write!(out, "{}", values.actor_index),
                        Variable::Group => write!(out, "{}", values.group),
                        Variable::Member => write!(out, "{}", values.member),
                        Variable::Instance => write!(out, "{}", values.instance),
                        Variable::Iteration => write!(out, "{}", values.iteration),
                        Variable::Page => write!(out, "{}", values.page),
                        Variable::Random { low, high } => {
                            let span = high - low + 1;
                            write!(out, "{}", low + splitmix64(values.seed) % span)
                        }
                        Variable::Time { offset_micros } => {
                            write_rfc3339(out, values.now_micros.saturating_add(*offset_micros));
                            Ok(())
                        }
                    };
                }
            }
        }
    }

    pub fn render_to_string(&self, values: &Values<'_>) -> String {
        let mut out = String::new();
        self.render(values, &mut out);
        out
    }
}

fn looks_like_placeholder(inner: &str) -> bool {
    !inner.is_empty()
        && inner.starts_with(|c: char| c.is_ascii_lowercase())
        && inner.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | ':' | '-' | '+')
        })
}

fn parse_variable(inner: &str, names: &VariableNames<'_>) -> Result<Variable, String> {
    if let Some(range) = inner.strip_prefix("random:") {
        let (low, high) = range
            .split_once('-')
            .and_then(|(low, high)| Some((low.parse::<u64>().ok()?, high.parse::<u64>().ok()?)))
            .filter(|(low, high)| low <= high)
            .ok_or_else(|| {
                format!(
                    "`{{{inner}}}`: write a range as `{{random:LOW-HIGH}}`, e.g. `{{random:1-900}}`"
                )
            })?;
        return Ok(Variable::Random { low, high });
    }
    if inner == "time" {
        return Ok(Variable::Time { offset_micros: 0 });
    }
    if let Some(offset) = inner.strip_prefix("time:") {
        return parse_time_offset(offset).map(|offset_micros| Variable::Time { offset_micros });
    }
    let variable = match inner {
        "actor_index" => Variable::ActorIndex,
        "instance" => Variable::Instance,
        "iteration" => Variable::Iteration,
        "page" => Variable::Page,
        name if name == names.group => Variable::Group,
        name if name == names.member => Variable::Member,
        other => {
            return Err(format!(
                "unknown variable `{{{other}}}` (known: {{actor_index}}, {{{}}}, {{{}}}, {{instance}}, {{iteration}}, {{page}}, {{random:LOW-HIGH}}, {{time}}, {{time:-10m}})",
                names.group, names.member
            ));
        }
    };
    Ok(variable)
}

/// `-10m`, `+1h`, `-30d`: a signed duration in the workspace's one grammar.
fn parse_time_offset(offset: &str) -> Result<i64, String> {
    let explain = || {
        format!(
            "`{{time:{offset}}}`: write an offset as `{{time:-10m}}` or `{{time:+1h}}` (a sign, then a duration such as 90s, 10m, 7d)"
        )
    };
    let (sign, magnitude) = match offset.as_bytes().first() {
        Some(b'-') => (-1, &offset[1..]),
        Some(b'+') => (1, &offset[1..]),
        _ => return Err(explain()),
    };
    let duration = service_kit::config::parse_duration(magnitude).map_err(|_| explain())?;
    i64::try_from(duration.as_micros())
        .map(|micros| sign * micros)
        .map_err(|_| explain())
}

/// RFC 3339 UTC with exactly six fractional digits, the form `metrics` reads back.
fn write_rfc3339(out: &mut String, micros: i64) {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.microsecond()
    );
}

/// Microseconds since the Unix epoch, now.
pub fn now_micros() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000) as i64
}

/// A fast, well-mixed hash of the seed, so `{random}` needs no shared generator.
pub fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: VariableNames<'static> = VariableNames {
        group: "customer",
        member: "endpoint",
    };

    fn values() -> Values<'static> {
        Values {
            actor_index: 7,
            group: 2,
            member: 5,
            instance: "3",
            iteration: 11,
            page: 4,
            seed: 99,
            now_micros: 1_764_815_641_123_456,
        }
    }

    #[test]
    fn placeholders_are_replaced_by_the_actor_values() {
        let template = Template::parse(
            "/i{instance}/c{customer}/e{endpoint}?page={page}&a={actor_index}&n={iteration}",
            &NAMES,
        )
        .unwrap();
        assert_eq!(
            template.render_to_string(&values()),
            "/i3/c2/e5?page=4&a=7&n=11"
        );
    }

    #[test]
    fn json_braces_are_literal_text() {
        let template = Template::parse(r#"{"customer": {customer}, "x": {}}"#, &NAMES).unwrap();
        assert_eq!(
            template.render_to_string(&values()),
            r#"{"customer": 2, "x": {}}"#
        );
    }

    #[test]
    fn random_values_stay_in_their_range() {
        let template = Template::parse("{random:10-12}", &NAMES).unwrap();
        for seed in 0..200 {
            let rendered = template.render_to_string(&Values { seed, ..values() });
            let n: u64 = rendered.parse().unwrap();
            assert!((10..=12).contains(&n), "{n}");
        }
    }

    #[test]
    fn time_renders_rfc3339_utc_with_its_offset() {
        let template =
            Template::parse("from={time:-10m}&to={time}&later={time:+1d}", &NAMES).unwrap();
        assert_eq!(
            template.render_to_string(&values()),
            "from=2025-12-04T02:24:01.123456Z&to=2025-12-04T02:34:01.123456Z&later=2025-12-05T02:34:01.123456Z"
        );
        assert!(template.uses(Variable::Time { offset_micros: 0 }));
        for bad in ["{time:10m}", "{time:-}", "{time:-ten}"] {
            let error = Template::parse(bad, &NAMES).unwrap_err();
            assert!(error.contains("write an offset as"), "{bad}: {error}");
        }
    }

    #[test]
    fn unknown_variables_are_rejected_with_the_known_ones_listed() {
        let error = Template::parse("/x/{partner}", &NAMES).unwrap_err();
        assert!(error.contains("unknown variable `{partner}`"), "{error}");
        assert!(error.contains("{customer}"), "{error}");
        assert!(Template::parse("{random:9-1}", &NAMES).is_err());
    }
}

//! `/<key>/<stat_type>/<date>/<hour>`, each part checked so a 400 can name the bad one.

use time::Date;
use time::macros::format_description;

use super::{StatType, UtcHour};

/// A valid query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryPath {
    pub key: String,
    pub stat: StatType,
    pub date: Date,
    pub hour: u8,
}

/// The first bad part of a query path, in path order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryPathError {
    #[error("bad key '{0}': must be 1 to 128 characters of A-Z a-z 0-9 _ . -")]
    Key(String),
    #[error("bad stat_type '{0}': expected average, min, max or median")]
    StatType(String),
    #[error("bad date '{0}': expected a UTC date as YYYY-MM-DD")]
    Date(String),
    #[error("bad hour '{0}': expected a UTC hour from 0 to 23")]
    Hour(String),
}

impl QueryPath {
    pub fn parse(key: &str, stat: &str, date: &str, hour: &str) -> Result<Self, QueryPathError> {
        metrics_client::validate_key(key).map_err(|_| QueryPathError::Key(key.to_owned()))?;
        let stat_type = stat
            .parse()
            .map_err(|()| QueryPathError::StatType(stat.to_owned()))?;
        let parsed_date = Date::parse(date, format_description!("[year]-[month]-[day]"))
            .map_err(|_| QueryPathError::Date(date.to_owned()))?;
        // Digits only: "+1", " 1" and "01.0" are not hours.
        let parsed_hour = Some(hour)
            .filter(|text| {
                (1..=2).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
            })
            .and_then(|text| text.parse::<u8>().ok())
            .filter(|&value| value <= 23)
            .ok_or_else(|| QueryPathError::Hour(hour.to_owned()))?;
        Ok(Self {
            key: key.to_owned(),
            stat: stat_type,
            date: parsed_date,
            hour: parsed_hour,
        })
    }

    pub fn utc_hour(&self) -> UtcHour {
        UtcHour::of_date_and_hour(self.date, self.hour)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn a_valid_path_parses() {
        let path = QueryPath::parse("portal-a-1", "median", "2026-11-22", "7").unwrap();
        assert_eq!(path.stat, StatType::Median);
        assert_eq!((path.date, path.hour), (date!(2026 - 11 - 22), 7));
        assert_eq!(
            QueryPath::parse("k", "max", "2026-01-05", "23")
                .unwrap()
                .hour,
            23
        );
    }

    #[test]
    fn each_bad_part_is_named() {
        let cases = [
            (
                ("a%2Fb", "min", "2026-11-22", "1"),
                QueryPathError::Key("a%2Fb".into()),
            ),
            (
                ("k", "p99", "2026-11-22", "1"),
                QueryPathError::StatType("p99".into()),
            ),
            (
                ("k", "min", "2026-13-01", "1"),
                QueryPathError::Date("2026-13-01".into()),
            ),
            (
                ("k", "min", "22-11-2026", "1"),
                QueryPathError::Date("22-11-2026".into()),
            ),
            (
                ("k", "min", "2026-11-22", "24"),
                QueryPathError::Hour("24".into()),
            ),
            (
                ("k", "min", "2026-11-22", "-1"),
                QueryPathError::Hour("-1".into()),
            ),
            (
                ("k", "min", "2026-11-22", "1h"),
                QueryPathError::Hour("1h".into()),
            ),
        ];
        for ((key, stat, date, hour), expected) in cases {
            assert_eq!(QueryPath::parse(key, stat, date, hour), Err(expected));
        }
    }
}

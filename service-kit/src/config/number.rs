//! Counts that must be at least 1 (workers, connections, limits), with a message that says so
//! rather than clap's `1..18446744073709551615`.

use std::str::FromStr;

/// A clap value parser for a whole number of at least 1.
pub fn at_least_one<T>(raw: &str) -> Result<T, String>
where
    T: FromStr + PartialOrd + From<u8>,
{
    let value: T = raw
        .trim()
        .parse()
        .map_err(|_| format!("'{raw}' is not a whole number; expected at least 1"))?;
    if value < T::from(1) {
        return Err(format!("'{raw}' is too small; expected at least 1"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_non_numbers_say_at_least_1() {
        assert_eq!(at_least_one::<u64>("3"), Ok(3));
        for raw in ["0", "x", "-1", "1.5"] {
            let err = at_least_one::<usize>(raw).unwrap_err();
            assert!(
                err.contains(&format!("'{raw}'")) && err.contains("at least 1"),
                "{err}"
            );
        }
    }
}

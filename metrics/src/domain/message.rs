//! One `key:value` line, parsed without allocating (the UDP hot path calls this per line).

use metrics_client::validate_key;

/// Why a line was rejected; also the `reason` label of the dropped-messages counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("expected 'key:value'")]
    Malformed,
    #[error("key must be 1 to 128 characters of A-Z a-z 0-9 _ . -")]
    BadKey,
    #[error("value must be a finite, non-negative number of milliseconds")]
    BadValue,
}

impl MessageError {
    pub fn label(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::BadKey => "bad_key",
            Self::BadValue => "bad_value",
        }
    }
}

/// Parses `key:value` (a trailing `\r` is tolerated). The key borrows from the input.
pub fn parse_line(line: &[u8]) -> Result<(&str, f64), MessageError> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let colon = line
        .iter()
        .position(|&byte| byte == b':')
        .ok_or(MessageError::Malformed)?;
    let key = std::str::from_utf8(&line[..colon]).map_err(|_| MessageError::BadKey)?;
    validate_key(key).map_err(|_| MessageError::BadKey)?;
    let value = parse_value(&line[colon + 1..])?;
    Ok((key, value))
}

/// A response time in milliseconds: finite and not negative (so `inf`, `NaN`, `-1` fail).
pub fn parse_value(text: &[u8]) -> Result<f64, MessageError> {
    let value: f64 = std::str::from_utf8(text)
        .map_err(|_| MessageError::BadValue)?
        .parse()
        .map_err(|_| MessageError::BadValue)?;
    if value.is_finite() && value >= 0.0 {
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
        ] {
            assert_eq!(
                parse_line(line),
                Err(error),
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
    }
}

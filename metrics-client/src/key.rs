//! The key rule shared by the client and the collector (which re-validates every message).

use crate::ClientError;

/// Longest accepted key, in bytes (all accepted characters are ASCII).
pub const MAX_KEY_LEN: usize = 128;

/// Checks the key rule: 1 to 128 characters of `[A-Za-z0-9_.-]`. Keys appear as a path segment
/// in query URLs (`/<key>/median/...`), so `/`, `%`, spaces and `:` (the line separator) are
/// excluded.
pub fn validate_key(key: &str) -> Result<(), ClientError> {
    let invalid = |reason| ClientError::InvalidKey {
        key: key.to_owned(),
        reason,
    };
    if key.is_empty() {
        return Err(invalid("must not be empty"));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(invalid("longer than 128 characters"));
    }
    if !key.bytes().all(is_key_byte) {
        return Err(invalid(
            "only letters, digits, '_', '.' and '-' are allowed",
        ));
    }
    Ok(())
}

/// One byte of a valid key. Public in the crate so the hot parsing path can use it directly.
pub(crate) const fn is_key_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typical_service_keys_are_accepted() {
        for key in [
            "portal-ip-10-0-1-7-4242",
            "hardware_1",
            "a",
            "A.b-c_9",
            &"k".repeat(128),
        ] {
            validate_key(key).unwrap_or_else(|err| panic!("{key}: {err}"));
        }
    }

    #[test]
    fn keys_breaking_the_rule_are_rejected_with_the_key_in_the_message() {
        for key in ["", "a/b", "a b", "a:b", "café", "50%", &"k".repeat(129)] {
            let err = validate_key(key).expect_err(key).to_string();
            assert!(err.contains(&format!("'{key}'")), "{err}");
        }
    }
}

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

/// Longest host-name part [`instance_key`] keeps, in characters.
pub const MAX_HOST_PART: usize = 80;

/// The default key of one app instance, `<app>-<host>-<pid>`, valid whatever the host name
/// is. The host name is sanitised the way `hardware` has always done it: ASCII letters, digits
/// and `-` are kept, every other character (`.`, `_`, spaces, non-ASCII, ...) becomes `_`, and
/// at most 80 characters are kept; an empty name becomes `unknown`. `app` must itself be a
/// valid key part (e.g. `portal`).
pub fn instance_key(app: &str, host: &str, pid: u32) -> String {
    let host: String = host
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(MAX_HOST_PART)
        .collect();
    let host = if host.is_empty() { "unknown" } else { &host };
    format!("{app}-{host}-{pid}")
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
    fn instance_keys_are_valid_for_any_host_name() {
        for host in [
            "ip-10-0-1-7.eu-west-1.compute.internal",
            "host name:with/odd%chars",
            "café",
            "",
            "  ",
            &"h".repeat(300),
            "a\nb",
        ] {
            let key = instance_key("portal", host, u32::MAX);
            validate_key(&key).unwrap_or_else(|err| panic!("{host:?} -> {key}: {err}"));
        }
        assert_eq!(
            instance_key("hardware", "ip-10-0-1-7.ec2.internal", 42),
            "hardware-ip-10-0-1-7_ec2_internal-42"
        );
        assert_eq!(instance_key("portal", "café x", 1), "portal-caf__x-1");
        assert_eq!(instance_key("portal", "", 7), "portal-unknown-7");
        assert_eq!(
            instance_key("portal", &"h".repeat(300), 1),
            format!("portal-{}-1", "h".repeat(80))
        );
    }

    #[test]
    fn keys_breaking_the_rule_are_rejected_with_the_key_in_the_message() {
        for key in ["", "a/b", "a b", "a:b", "café", "50%", &"k".repeat(129)] {
            let err = validate_key(key).expect_err(key).to_string();
            assert!(err.contains(&format!("'{key}'")), "{err}");
        }
    }
}

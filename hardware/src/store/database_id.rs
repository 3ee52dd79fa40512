//! The database id, which becomes part of every ETag and `X-Snapshot-Version` header. It is
//! made by SQL at creation and read back at every load; a value that cannot go in a header (a
//! quote, a space, non-ASCII, CR or LF, or simply too long) would make hardware drop its own
//! ETag or reject its own version, and the portal would never sync. So it is checked where it
//! is read: a bad one is replaced by a fresh id, with a warning, and the store keeps the new one.

/// What a version's database part may hold: 1 to 64 ASCII letters and digits.
pub fn is_header_safe(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A new id like the ones SQL makes: 12 lower-case hex digits.
pub fn fresh() -> String {
    format!("{:012x}", rand::random::<u64>() & 0xffff_ffff_ffff)
}

/// Logs that `bad` was replaced by `replacement` (the bad value escaped, so a CR or LF cannot
/// forge a log line).
pub fn warn_replaced(bad: &str, replacement: &str) {
    tracing::warn!(
        bad_id = %bad.escape_debug(),
        new_id = replacement,
        "meta.database_id is not header-safe (1 to 64 ASCII letters and digits); replaced it \
         (callers holding the old version resync once)"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_and_digits_are_safe_and_everything_else_is_not() {
        assert!(is_header_safe("3f9a0c1b2d4e"));
        for bad in [
            "",
            "a\"b",
            "a b",
            "caf\u{e9}",
            "a\r\nx-forged: 1",
            "a-b",
            &"a".repeat(65),
        ] {
            assert!(!is_header_safe(bad), "{bad:?} must be rejected");
        }
    }

    #[test]
    fn a_fresh_id_is_safe() {
        for _ in 0..100 {
            let id = fresh();
            assert!(is_header_safe(&id), "{id}");
            assert_eq!(id.len(), 12);
        }
    }
}

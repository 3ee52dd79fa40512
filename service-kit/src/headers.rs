//! Request headers read through the `headers` crate's typed headers rather than by hand, so
//! every service reads them the same way: `If-None-Match` against an `ETag` (RFC 9110: lists,
//! `W/` weak tags, commas inside quotes, several header lines, `*`) and `Content-Type`.

use axum::http::header::IF_NONE_MATCH;
use axum::http::{HeaderMap, HeaderValue};
use headers::Header;
pub use headers::{ContentType, ETag, HeaderMapExt, IfNoneMatch, Mime};

/// `"<tag>"` as a strong entity tag, or `None` when `tag` holds characters an ETag cannot.
pub fn strong_etag(tag: &str) -> Option<ETag> {
    if !tag.bytes().all(is_etag_byte) {
        return None;
    }
    format!("\"{tag}\"").parse().ok()
}

/// RFC 9110 `etagc`. `headers` checks only for `"` and debug-asserts the rest, so whitespace
/// (which a header value may hold) must not reach it: debug builds, tests and fuzzing included,
/// would panic on a request with `If-None-Match: "a b"`.
fn is_etag_byte(byte: u8) -> bool {
    byte == 0x21 || (0x23..=0x7e).contains(&byte) || byte >= 0x80
}

/// Whitespace inside quotes: a tag that can never be one of ours (see [`is_etag_byte`]).
fn quotes_whitespace(value: &HeaderValue) -> bool {
    let mut quoted = false;
    value.as_bytes().iter().any(|&byte| {
        if byte == b'"' {
            quoted = !quoted;
        }
        quoted && (byte == b' ' || byte == b'\t')
    })
}

/// Whether the request's `If-None-Match` already names `etag` (weak comparison, as RFC 9110
/// requires for it) or is `*`: then the answer is `304 Not Modified`. A header that does not
/// parse names nothing, so the full answer is sent.
pub fn is_not_modified(request: &HeaderMap, etag: &ETag) -> bool {
    if request.get_all(IF_NONE_MATCH).iter().any(quotes_whitespace) {
        return false;
    }
    request
        .typed_get::<IfNoneMatch>()
        .is_some_and(|condition| !condition.precondition_passes(etag))
}

/// [`is_not_modified`] for an ETag kept as a ready header value (a cached page).
pub fn is_not_modified_value(request: &HeaderMap, etag: &HeaderValue) -> bool {
    // Most requests carry no condition: then nothing is parsed at all.
    if !request.contains_key(IF_NONE_MATCH) || quotes_whitespace(etag) {
        return false;
    }
    let Ok(etag) = ETag::decode(&mut std::iter::once(etag)) else {
        return false;
    };
    is_not_modified(request, &etag)
}

/// Whether the body is declared JSON: `Content-Type: application/json`, any parameters
/// (`; charset=utf-8`) and any letter case.
pub fn is_json(request: &HeaderMap) -> bool {
    request
        .typed_get::<ContentType>()
        .map(Mime::from)
        .is_some_and(|mime| mime.essence_str() == "application/json")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(values: &[&'static str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(IF_NONE_MATCH, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let etag = HeaderValue::from_static("\"a-1-f\"");
        for value in ["\"a-1-f\"", "\"x\", \"a-1-f\"", "W/\"a-1-f\"", "*"] {
            assert!(is_not_modified_value(&request(&[value]), &etag), "{value}");
        }
        assert!(!is_not_modified_value(&request(&["\"a-2-f\""]), &etag));
    }

    #[test]
    fn several_header_lines_count_and_garbage_matches_nothing() {
        let etag = strong_etag("7f3a-1042").unwrap();
        assert!(is_not_modified(
            &request(&["\"x\"", "\"7f3a-1042\""]),
            &etag
        ));
        assert!(!is_not_modified(&request(&["7f3a-1042"]), &etag));
        assert!(!is_not_modified(&HeaderMap::new(), &etag));
        assert!(strong_etag("has \"quotes\"").is_none());
        assert!(strong_etag("has space").is_none());
        // Whitespace in a tag is no panic, and names nothing.
        assert!(!is_not_modified(&request(&["\"a b\"", "W/\"\tc\""]), &etag));
        assert!(is_not_modified(
            &request(&["\"a,b\", \"7f3a-1042\""]),
            &etag
        ));
    }

    #[test]
    fn json_is_told_by_the_content_type_whatever_its_parameters() {
        let content_type = |value: &'static str| {
            let mut map = HeaderMap::new();
            map.insert(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static(value),
            );
            map
        };
        assert!(is_json(&content_type("application/json")));
        assert!(is_json(&content_type("application/json; charset=utf-8")));
        assert!(is_json(&content_type("Application/JSON")));
        assert!(!is_json(&content_type("text/plain")));
        assert!(!is_json(&content_type("not a type")));
        assert!(!is_json(&HeaderMap::new()));
    }
}

//! Undoing `Content-Encoding` before a body is searched for links: a workflow that sends
//! `accept-encoding: gzip` gets a compressed page, whose links are invisible until it is
//! decompressed.

use std::borrow::Cow;
use std::io::Read;

use hyper::header::{CONTENT_ENCODING, HeaderMap};

/// Decompressed bodies larger than this are refused rather than held in memory: a link
/// finder has no use for them and a small compressed response can expand without bound.
pub const MAX_DECODED_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("content-encoding `{0}` is not supported (use gzip, deflate, br or identity)")]
    Unsupported(String),
    #[error("the {0} body could not be decoded")]
    Corrupt(String),
    #[error("the decoded body is larger than {MAX_DECODED_BYTES} bytes")]
    TooLarge,
}

/// `body` with every coding of its `Content-Encoding` undone, last applied first
/// (RFC 9110 section 8.4: the codings are listed in the order they were applied).
pub fn decoded_body<'a>(headers: &HeaderMap, body: &'a [u8]) -> Result<Cow<'a, [u8]>, DecodeError> {
    let mut codings: Vec<String> = headers
        .get_all(CONTENT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|coding| coding.trim().to_ascii_lowercase())
        .filter(|coding| !coding.is_empty() && coding != "identity")
        .collect();
    let mut decoded = Cow::Borrowed(body);
    while let Some(coding) = codings.pop() {
        decoded = Cow::Owned(decode_one(&coding, &decoded)?);
    }
    Ok(decoded)
}

fn decode_one(coding: &str, body: &[u8]) -> Result<Vec<u8>, DecodeError> {
    match coding {
        "gzip" | "x-gzip" => read_all(flate2::read::MultiGzDecoder::new(body), coding),
        // RFC 9110 section 8.4.1.2: "deflate" is the zlib format; some servers send raw
        // deflate data instead, which browsers accept too.
        "deflate" => read_all(flate2::read::ZlibDecoder::new(body), coding)
            .or_else(|_| read_all(flate2::read::DeflateDecoder::new(body), coding)),
        "br" => read_all(brotli_decompressor::Decompressor::new(body, 4096), coding),
        other => Err(DecodeError::Unsupported(other.to_owned())),
    }
}

fn read_all(reader: impl Read, coding: &str) -> Result<Vec<u8>, DecodeError> {
    let mut decoded = Vec::new();
    reader
        .take(MAX_DECODED_BYTES + 1)
        .read_to_end(&mut decoded)
        .map_err(|_| DecodeError::Corrupt(coding.to_owned()))?;
    if decoded.len() as u64 > MAX_DECODED_BYTES {
        return Err(DecodeError::TooLarge);
    }
    Ok(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn with_encoding(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn gzip_and_deflate_bodies_are_decoded() {
        let page = b"<a rel=next href=/p2>next</a>";
        let compressed = gzip(page);
        let decoded = decoded_body(&with_encoding("gzip"), &compressed).unwrap();
        assert_eq!(&*decoded, page);
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        zlib.write_all(page).unwrap();
        let compressed = zlib.finish().unwrap();
        let decoded = decoded_body(&with_encoding("deflate"), &compressed).unwrap();
        assert_eq!(&*decoded, page);
        // Applied twice, undone twice.
        let twice = gzip(&gzip(page));
        assert_eq!(
            &*decoded_body(&with_encoding("gzip, gzip"), &twice).unwrap(),
            page
        );
        // No encoding: the body as it is, not copied.
        assert!(matches!(
            decoded_body(&HeaderMap::new(), page).unwrap(),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn brotli_bodies_are_decoded() {
        // "hello" as one uncompressed meta-block, laid out by RFC 7932 section 9.2: window
        // bits 0, ISLAST 0, MNIBBLES 4, MLEN-1 = 4, ISUNCOMPRESSED 1, the bytes, then an
        // empty last meta-block (ISLAST 1, ISLASTEMPTY 1).
        let compressed = [0x40, 0x00, 0x10, b'h', b'e', b'l', b'l', b'o', 0x03];
        let decoded = decoded_body(&with_encoding("br"), &compressed).unwrap();
        assert_eq!(&*decoded, b"hello");
    }

    #[test]
    fn unknown_or_corrupt_encodings_are_errors_that_say_which() {
        let unknown = decoded_body(&with_encoding("zstd"), b"x").unwrap_err();
        assert_eq!(unknown, DecodeError::Unsupported("zstd".into()));
        assert!(unknown.to_string().contains("`zstd` is not supported"));
        let corrupt = decoded_body(&with_encoding("gzip"), b"not gzip").unwrap_err();
        assert_eq!(corrupt, DecodeError::Corrupt("gzip".into()));
    }
}

//! The stylesheet and the refresh script, compiled into the binary and served under
//! content-hashed names, so they can be cached "forever" and a new build still gets
//! its own files (no CDN: the page works on a network that only reaches the portal).

use std::sync::LazyLock;

use bytes::Bytes;

pub const CSS: &str = include_str!("../../assets/app.css");
pub const JS: &str = include_str!("../../assets/app.js");
/// A 16x16 icon, so the request every browser makes for `/favicon.ico` is not a 404.
pub const FAVICON: &[u8] = include_bytes!("../../assets/favicon.ico");

pub struct Asset {
    /// File name under `/static/`, e.g. `app-1f2e3d4c5b6a.css`.
    pub name: String,
    pub href: String,
    pub body: &'static str,
    /// The body gzip-compressed once, at first use: served to clients that accept it.
    pub gzip: Bytes,
    pub content_type: &'static str,
}

fn asset(stem: &str, extension: &str, body: &'static str, content_type: &'static str) -> Asset {
    let name = format!(
        "{stem}-{:012x}.{extension}",
        fnv1a(body.as_bytes()) & 0xffff_ffff_ffff
    );
    Asset {
        href: format!("/static/{name}"),
        name,
        body,
        gzip: Bytes::from(super::cache::gzip(body.as_bytes())),
        content_type,
    }
}

static ASSETS: LazyLock<[Asset; 2]> = LazyLock::new(|| {
    [
        asset("app", "css", CSS, "text/css; charset=utf-8"),
        asset("app", "js", JS, "text/javascript; charset=utf-8"),
    ]
});

pub fn css_href() -> &'static str {
    &ASSETS[0].href
}

pub fn js_href() -> &'static str {
    &ASSETS[1].href
}

pub fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.name == name)
}

/// FNV-1a: tiny, stable across builds and platforms, and good enough to tell versions of a
/// file apart (this is cache busting, not security).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_names_carry_a_content_hash_and_resolve_back() {
        assert!(css_href().starts_with("/static/app-") && css_href().ends_with(".css"));
        let name = css_href().trim_start_matches("/static/");
        assert_eq!(find(name).unwrap().body, CSS);
        assert!(find("app.css").is_none());
        assert_ne!(fnv1a(b"a"), fnv1a(b"b"));
    }
}

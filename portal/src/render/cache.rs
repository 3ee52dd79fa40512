//! Rendered pages, kept per (snapshot revision, canonical query) so that a page view is a
//! cache lookup that hands out shared `Bytes`: no rendering, no copying, no compression.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write as _;
use std::sync::Arc;

use arc_swap::ArcSwapOption;
use axum::http::HeaderValue;
use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use moka::sync::Cache;

/// One page in both encodings. The ETags differ per encoding (RFC 9110: a strong
/// validator names exact bytes).
#[derive(Debug)]
pub struct RenderedPage {
    pub html: Bytes,
    pub gzip: Bytes,
    pub etag: HeaderValue,
    pub etag_gzip: HeaderValue,
}

impl RenderedPage {
    /// `boot_id` and `revision` identify the snapshot, `canonical_query` the page.
    pub fn new(html: String, boot_id: u64, revision: u64, canonical_query: &str) -> Self {
        let mut hasher = DefaultHasher::new();
        canonical_query.hash(&mut hasher);
        let tag = format!("{boot_id:x}-{revision}-{:x}", hasher.finish());
        let gzip = gzip(html.as_bytes());
        Self {
            html: Bytes::from(html),
            gzip: Bytes::from(gzip),
            etag: HeaderValue::from_str(&format!("\"{tag}\"")).expect("hex and digits"),
            etag_gzip: HeaderValue::from_str(&format!("\"{tag}-gz\"")).expect("hex and digits"),
        }
    }

    fn weight(&self) -> u32 {
        u32::try_from(self.html.len() + self.gzip.len()).unwrap_or(u32::MAX)
    }
}

pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
    // Level 6 (the default): pages are compressed once per snapshot and query, so a
    // better ratio is worth a few hundred microseconds.
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 4), Compression::default());
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .expect("writing into a Vec cannot fail")
}

type Key = (u64, String);

#[derive(Clone)]
pub struct PageCache {
    pages: Cache<Key, Arc<RenderedPage>>,
    /// The default page (`/`, empty canonical query) of the newest revision: what nearly
    /// every visitor asks for, so it costs one atomic load instead of a hash lookup.
    front: Arc<ArcSwapOption<(u64, Arc<RenderedPage>)>>,
}

impl PageCache {
    /// `max_bytes` bounds the sum of page sizes (both encodings).
    pub fn new(max_bytes: u64) -> Self {
        Self {
            pages: Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|_key: &Key, page: &Arc<RenderedPage>| page.weight())
                // Pages of older revisions are never asked for again and are evicted first
                // when the byte budget runs out (no idle timer: it costs a write per read).
                .build(),
            front: Arc::new(ArcSwapOption::empty()),
        }
    }

    /// The cached page, or `render()`'s result, computed once even when many requests
    /// miss at the same time.
    pub fn get_or_render(
        &self,
        revision: u64,
        canonical_query: String,
        render: impl FnOnce() -> RenderedPage,
    ) -> Arc<RenderedPage> {
        let is_front = canonical_query.is_empty();
        if is_front
            && let Some(front) = self.front.load().as_ref()
            && front.0 == revision
        {
            return front.1.clone();
        }
        let page = self
            .pages
            .get_with((revision, canonical_query), || Arc::new(render()));
        if is_front {
            // Never replace a newer revision's page with an older one (a request that
            // loaded the previous snapshot can finish after the next one was published).
            self.front.rcu(|current| match current {
                Some(current) if current.0 > revision => Some(current.clone()),
                _ => Some(Arc::new((revision, page.clone()))),
            });
        }
        page
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    #[test]
    fn gzip_variant_decompresses_to_the_html() {
        let page = RenderedPage::new("<p>hello</p>".repeat(50), 1, 2, "");
        let mut decoded = String::new();
        flate2::read::GzDecoder::new(&page.gzip[..])
            .read_to_string(&mut decoded)
            .unwrap();
        assert_eq!(decoded.as_bytes(), &page.html[..]);
        assert!(page.gzip.len() < page.html.len());
    }

    #[test]
    fn etags_differ_by_revision_query_and_encoding() {
        let a = RenderedPage::new("x".into(), 1, 2, "");
        let b = RenderedPage::new("x".into(), 1, 3, "");
        let c = RenderedPage::new("x".into(), 1, 2, "page=2");
        assert_ne!(a.etag, b.etag);
        assert_ne!(a.etag, c.etag);
        assert_ne!(a.etag, a.etag_gzip);
    }

    #[test]
    fn a_second_lookup_does_not_render_again() {
        let cache = PageCache::new(1 << 20);
        let mut renders = 0;
        for _ in 0..3 {
            cache.get_or_render(7, String::new(), || {
                renders += 1;
                RenderedPage::new("page".into(), 1, 7, "")
            });
        }
        assert_eq!(renders, 1);
    }

    #[test]
    fn the_front_page_slot_follows_the_newest_revision_only() {
        let cache = PageCache::new(1 << 20);
        let page = |revision: u64| RenderedPage::new(format!("r{revision}"), 1, revision, "");
        cache.get_or_render(2, String::new(), || page(2));
        // A late request for an older revision gets its own page but does not evict r2.
        let old = cache.get_or_render(1, String::new(), || page(1));
        assert_eq!(&old.html[..], b"r1");
        let current = cache.get_or_render(2, String::new(), || panic!("r2 is cached"));
        assert_eq!(&current.html[..], b"r2");
        let next = cache.get_or_render(3, String::new(), || page(3));
        assert_eq!(&next.html[..], b"r3");
    }
}

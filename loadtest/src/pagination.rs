//! Finding the next page: the `Link` header (RFC 8288, as GitHub's API and `hardware` send
//! it) or, for HTML pages such as the portal dashboard, an `<a rel="next" href=...>` link.

use hyper::header::{HeaderMap, LINK};

/// The `rel="next"` URL of a `Link` header, if any.
pub fn next_from_link_header(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(LINK)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .find_map(|entry| {
            let (url, params) = entry.split_once(';')?;
            let is_next = params.split(';').any(|param| {
                let Some((key, value)) = param.split_once('=') else {
                    return false;
                };
                key.trim().eq_ignore_ascii_case("rel")
                    && value
                        .trim()
                        .trim_matches('"')
                        .split_whitespace()
                        .any(|rel| rel.eq_ignore_ascii_case("next"))
            });
            let url = url.trim().strip_prefix('<')?.strip_suffix('>')?;
            is_next.then(|| url.to_owned())
        })
}

/// The `href` of the first `<a>` or `<link>` tag with `rel="next"` in an HTML page.
pub fn next_from_html(body: &[u8]) -> Option<String> {
    let html = std::str::from_utf8(body).ok()?;
    let mut rest = html;
    while let Some(position) = rest
        .find("rel=\"next\"")
        .or_else(|| rest.find("rel='next'"))
    {
        let tag_start = rest[..position].rfind('<')?;
        let tag_end = position + rest[position..].find('>')?;
        let tag = &rest[tag_start..tag_end];
        if let Some(href) = attribute(tag, "href") {
            return Some(href.replace("&amp;", "&"));
        }
        rest = &rest[tag_end..];
    }
    None
}

fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    for quote in ['"', '\''] {
        let needle = format!("{name}={quote}");
        if let Some(start) = tag.find(&needle) {
            let value = &tag[start + needle.len()..];
            return value.split(quote).next();
        }
    }
    None
}

/// Turns a link into a path and query on the same target: absolute URLs lose their scheme
/// and host (traffic stays on the target given on the command line), `?page=2` is resolved
/// against the current path.
pub fn resolve(link: &str, current_path_and_query: &str) -> Option<String> {
    if let Some(after_scheme) = link
        .strip_prefix("http://")
        .or_else(|| link.strip_prefix("https://"))
    {
        let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
        return Some(path.to_owned());
    }
    if link.starts_with('/') {
        return Some(link.to_owned());
    }
    let current_path = current_path_and_query.split('?').next().unwrap_or("/");
    if link.starts_with('?') {
        return Some(format!("{current_path}{link}"));
    }
    let directory = current_path.rfind('/').map_or("/", |i| &current_path[..=i]);
    (!link.is_empty()).then(|| format!("{directory}{link}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    #[test]
    fn the_next_link_is_found_among_first_prev_next_last() {
        let mut headers = HeaderMap::new();
        headers.insert(
            LINK,
            HeaderValue::from_static(
                r#"</hardware/?page=1&per_page=50>; rel="first", </hardware/?page=3&per_page=50>; rel="next", </hardware/?page=9&per_page=50>; rel="last""#,
            ),
        );
        assert_eq!(
            next_from_link_header(&headers).as_deref(),
            Some("/hardware/?page=3&per_page=50")
        );
        headers.insert(
            LINK,
            HeaderValue::from_static(r#"</x?page=1>; rel="first""#),
        );
        assert_eq!(next_from_link_header(&headers), None);
    }

    #[test]
    fn an_html_next_anchor_is_found_and_unescaped() {
        let html = br#"<nav><a href="/?page=1">first</a> <a class="n" href="/?page=3&amp;q=c5" rel="next">next</a></nav>"#;
        assert_eq!(next_from_html(html).as_deref(), Some("/?page=3&q=c5"));
        assert_eq!(next_from_html(b"<a href=\"/?page=1\" rel=\"prev\">"), None);
    }

    #[test]
    fn links_resolve_to_paths_on_the_same_target() {
        assert_eq!(
            resolve("http://elsewhere:9/a?b=1", "/x").as_deref(),
            Some("/a?b=1")
        );
        assert_eq!(resolve("/a?page=2", "/x").as_deref(), Some("/a?page=2"));
        assert_eq!(
            resolve("?page=2", "/list/?page=1").as_deref(),
            Some("/list/?page=2")
        );
        assert_eq!(
            resolve("p2.html", "/docs/p1.html").as_deref(),
            Some("/docs/p2.html")
        );
    }
}

//! Finding the next page: the `Link` header (RFC 8288, as GitHub's API and `hardware` send
//! it) or, for HTML pages such as the portal dashboard, an `<a rel="next" href=...>` or
//! `<link rel="next" href=...>` tag.

use hyper::header::{HeaderMap, LINK};

/// One link of a `Link` header: its target as written and its parameters, names lowercased,
/// values unquoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkValue {
    pub target: String,
    pub params: Vec<(String, String)>,
}

impl LinkValue {
    /// The first `rel` parameter: RFC 8288 section 3.3 says later ones are ignored.
    fn rel(&self) -> Option<&str> {
        self.params
            .iter()
            .find(|(name, _)| name == "rel")
            .map(|(_, value)| value.as_str())
    }

    /// Whether this link is a `next` link of the response itself: one of its
    /// space-separated relation types is `next` (case-insensitive), and no `anchor`
    /// parameter makes it a link of some other resource.
    fn is_next_of_this_page(&self) -> bool {
        let about_this_page = self
            .params
            .iter()
            .all(|(name, value)| name != "anchor" || value.is_empty());
        about_this_page
            && self.rel().is_some_and(|rel| {
                rel.split_ascii_whitespace()
                    .any(|relation| relation.eq_ignore_ascii_case("next"))
            })
    }
}

/// Every link of every `Link` header field, in order (RFC 8288 section 3: `#link-value`,
/// each `"<" URI-Reference ">" *( OWS ";" OWS link-param )`; several fields are one list).
/// A malformed link-value is skipped up to the next comma outside quotes.
pub fn parse_link_headers(headers: &HeaderMap) -> Vec<LinkValue> {
    headers
        .get_all(LINK)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(parse_link_field)
        .collect()
}

fn parse_link_field(field: &str) -> Vec<LinkValue> {
    let mut links = Vec::new();
    let mut cursor = Cursor::new(field);
    loop {
        cursor.skip(|c| c == ',' || c.is_ascii_whitespace());
        if cursor.at_end() {
            return links;
        }
        match parse_link_value(&mut cursor) {
            Some(link) => links.push(link),
            None => cursor.skip_past_list_separator(),
        }
    }
}

fn parse_link_value(cursor: &mut Cursor<'_>) -> Option<LinkValue> {
    cursor.eat('<').then_some(())?;
    let target = cursor.take_until('>')?.trim().to_owned();
    let mut params = Vec::new();
    loop {
        cursor.skip(|c| c == ' ' || c == '\t');
        match cursor.peek() {
            None | Some(',') => return Some(LinkValue { target, params }),
            Some(';') => {
                cursor.eat(';');
                cursor.skip(|c| c == ' ' || c == '\t');
                let name = cursor.take_while(is_token_char).to_ascii_lowercase();
                if name.is_empty() {
                    // `<x>; ;rel=next` or a trailing `;`: nothing to record.
                    continue;
                }
                cursor.skip(|c| c == ' ' || c == '\t');
                let value = if cursor.eat('=') {
                    cursor.skip(|c| c == ' ' || c == '\t');
                    if cursor.peek() == Some('"') {
                        cursor.quoted_string()?
                    } else {
                        cursor.take_while(is_token_char).to_owned()
                    }
                } else {
                    String::new()
                };
                params.push((name, value));
            }
            Some(_) => return None,
        }
    }
}

/// `tchar` of RFC 9110 section 5.6.2, plus `*` for RFC 8187 extended parameter names.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

struct Cursor<'a> {
    rest: &'a str,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Self {
        Self { rest: text }
    }

    fn at_end(&self) -> bool {
        self.rest.is_empty()
    }

    fn peek(&self) -> Option<char> {
        self.rest.chars().next()
    }

    fn eat(&mut self, wanted: char) -> bool {
        match self.rest.strip_prefix(wanted) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn skip(&mut self, skip: impl Fn(char) -> bool) {
        self.rest = self.rest.trim_start_matches(skip);
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> &'a str {
        let end = self.rest.find(|c| !keep(c)).unwrap_or(self.rest.len());
        let (taken, rest) = self.rest.split_at(end);
        self.rest = rest;
        taken
    }

    /// Everything up to `end`, consuming `end` too; `None` when `end` never comes.
    fn take_until(&mut self, end: char) -> Option<&'a str> {
        let (taken, rest) = self.rest.split_once(end)?;
        self.rest = rest;
        Some(taken)
    }

    /// A `quoted-string` (RFC 9110 section 5.6.4) with its backslash escapes undone.
    fn quoted_string(&mut self) -> Option<String> {
        self.eat('"').then_some(())?;
        let mut value = String::new();
        let mut chars = self.rest.char_indices();
        while let Some((index, c)) = chars.next() {
            match c {
                '"' => {
                    self.rest = &self.rest[index + 1..];
                    return Some(value);
                }
                '\\' => value.push(chars.next()?.1),
                c => value.push(c),
            }
        }
        None
    }

    /// After a malformed link-value: on to the next comma that is not inside quotes.
    fn skip_past_list_separator(&mut self) {
        let mut quoted = false;
        let mut escaped = false;
        for (index, c) in self.rest.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' if quoted => escaped = true,
                '"' => quoted = !quoted,
                ',' if !quoted => {
                    self.rest = &self.rest[index + 1..];
                    return;
                }
                _ => {}
            }
        }
        self.rest = "";
    }
}

/// The target of the first `rel="next"` link of the `Link` headers, if any.
pub fn next_from_link_header(headers: &HeaderMap) -> Option<String> {
    parse_link_headers(headers)
        .into_iter()
        .find(LinkValue::is_next_of_this_page)
        .map(|link| link.target)
}

/// The `href` of the first `<a>` or `<link>` tag whose `rel` has `next` among its
/// space-separated values, with every character reference (`&amp;`, `&#38;`, `&#x26;`,
/// any named one) decoded as a browser does. Comments are skipped.
pub fn next_from_html(body: &[u8]) -> Option<String> {
    let html = String::from_utf8_lossy(body);
    let mut rest: &str = &html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        if let Some(after) = rest.strip_prefix("!--") {
            rest = after.split_once("-->").map_or("", |(_, after)| after);
            continue;
        }
        let name_end = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        let name = &rest[..name_end];
        let (attributes, after) = tag_attributes(&rest[name_end..]);
        rest = after;
        if !(name.eq_ignore_ascii_case("a") || name.eq_ignore_ascii_case("link")) {
            continue;
        }
        let value_of = |wanted: &str| {
            attributes
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
                .map(|(_, value)| *value)
        };
        let is_next = value_of("rel").is_some_and(|rel| {
            rel.split_ascii_whitespace()
                .any(|relation| relation.eq_ignore_ascii_case("next"))
        });
        if let (true, Some(href)) = (is_next, value_of("href")) {
            return Some(html_escape::decode_html_entities(href.trim()).into_owned());
        }
    }
    None
}

/// The attributes of a start tag (`name="v"`, `name='v'`, `name=v` or a bare `name`) up to
/// its closing `>`, and the text after it.
fn tag_attributes(mut rest: &str) -> (Vec<(&str, &str)>, &str) {
    let mut attributes = Vec::new();
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
        if rest.is_empty() {
            return (attributes, rest);
        }
        if let Some(after) = rest.strip_prefix('>') {
            return (attributes, after);
        }
        let name_end = rest
            .find(|c: char| c.is_ascii_whitespace() || "=>/".contains(c))
            .unwrap_or(rest.len())
            .max(1);
        let name = &rest[..name_end];
        rest = rest[name_end..].trim_start();
        let Some(after_equals) = rest.strip_prefix('=') else {
            attributes.push((name, ""));
            continue;
        };
        rest = after_equals.trim_start();
        let value = match rest.chars().next() {
            Some(quote @ ('"' | '\'')) => {
                let inner = &rest[1..];
                let end = inner.find(quote).unwrap_or(inner.len());
                rest = inner.get(end + 1..).unwrap_or("");
                &inner[..end]
            }
            _ => {
                let end = rest
                    .find(|c: char| c.is_ascii_whitespace() || c == '>')
                    .unwrap_or(rest.len());
                let value = &rest[..end];
                rest = &rest[end..];
                value
            }
        };
        attributes.push((name, value));
    }
}

/// Turns a link into a path and query on the same target, resolved against the current
/// page as RFC 3986 section 5 says: absolute URLs (`http://...`, `//host/...`) lose their
/// scheme and host (traffic stays on the target given on the command line), `?page=2`
/// keeps the current path, `p2.html` and `../x` resolve against its directory, dot segments
/// are removed and a `#fragment` is dropped (it is never sent).
pub fn resolve(link: &str, current_path_and_query: &str) -> Option<String> {
    let link = link.split('#').next().unwrap_or_default().trim();
    if link.is_empty() {
        return None;
    }
    let after_authority = link
        .strip_prefix("http://")
        .or_else(|| link.strip_prefix("https://"))
        .or_else(|| link.strip_prefix("//"));
    if let Some(after) = after_authority {
        let path = after.find(['/', '?']).map_or("/", |i| &after[i..]);
        let path = if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_owned()
        };
        return Some(normalize(&path));
    }
    if link.starts_with('/') {
        return Some(normalize(link));
    }
    let current_path = current_path_and_query.split('?').next().unwrap_or("/");
    if link.starts_with('?') {
        return Some(format!("{current_path}{link}"));
    }
    let directory = current_path.rfind('/').map_or("/", |i| &current_path[..=i]);
    Some(normalize(&format!("{directory}{link}")))
}

/// Removes `.` and `..` segments from the path part (RFC 3986 section 5.2.4).
fn normalize(path_and_query: &str) -> String {
    let (path, query) = match path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path_and_query, None),
    };
    let mut segments: Vec<&str> = Vec::new();
    let parts: Vec<&str> = path.split('/').skip(1).collect();
    for (index, segment) in parts.iter().enumerate() {
        let last = index + 1 == parts.len();
        match *segment {
            "." => {
                if last {
                    segments.push("");
                }
            }
            ".." => {
                segments.pop();
                if last {
                    segments.push("");
                }
            }
            other => segments.push(other),
        }
    }
    let mut normalized = format!("/{}", segments.join("/"));
    if let Some(query) = query {
        normalized.push('?');
        normalized.push_str(query);
    }
    normalized
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn headers(values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(LINK, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn the_next_link_is_found_among_first_prev_next_last() {
        let found = next_from_link_header(&headers(&[
            r#"</hardware/?page=1&per_page=50>; rel="first", </hardware/?page=3&per_page=50>; rel="next", </hardware/?page=9&per_page=50>; rel="last""#,
        ]));
        assert_eq!(found.as_deref(), Some("/hardware/?page=3&per_page=50"));
        assert_eq!(
            next_from_link_header(&headers(&[r#"</x?page=1>; rel="first""#])),
            None
        );
    }

    #[test]
    fn link_headers_are_parsed_as_rfc_8288_lists() {
        // A comma inside the target and inside a quoted title, an unquoted rel, a rel
        // with several types in another case, links split over two header fields.
        let found = next_from_link_header(&headers(&[
            r#"</a?ids=1,2>; title="first, really"; rel=first"#,
            r#"</b?page=2&x=1> ; title="a \"quoted\" ; title" ; rel="prefetch NEXT""#,
        ]));
        assert_eq!(found.as_deref(), Some("/b?page=2&x=1"));
        // Only the first rel parameter counts (section 3.3).
        assert_eq!(
            next_from_link_header(&headers(&[r#"</c>; rel="prev"; rel="next""#])),
            None
        );
        // A link anchored on another resource is not this page's next page.
        assert_eq!(
            next_from_link_header(&headers(&[r#"</d>; rel=next; anchor="/other""#])),
            None
        );
        // A malformed link-value does not hide the well-formed one after it.
        assert_eq!(
            next_from_link_header(&headers(&[r#"garbage; rel=next, </e?page=2>; rel=next"#]))
                .as_deref(),
            Some("/e?page=2")
        );
        let parsed = parse_link_headers(&headers(&[r#"<https://h/x>;rel="next";hreflang=de"#]));
        assert_eq!(
            parsed,
            vec![LinkValue {
                target: "https://h/x".into(),
                params: vec![
                    ("rel".into(), "next".into()),
                    ("hreflang".into(), "de".into())
                ],
            }]
        );
    }

    #[test]
    fn an_html_next_anchor_is_found_and_unescaped() {
        let html = br#"<nav><a href="/?page=1">first</a> <a class="n" href="/?page=3&amp;q=c5" rel="next">next</a></nav>"#;
        assert_eq!(next_from_html(html).as_deref(), Some("/?page=3&q=c5"));
        assert_eq!(next_from_html(b"<a href=\"/?page=1\" rel=\"prev\">"), None);
    }

    #[test]
    fn every_character_reference_in_an_href_is_decoded() {
        for (written, meant) in [
            ("/?page=2&#38;per_page=25", "/?page=2&per_page=25"),
            ("/?page=2&#x26;per_page=25", "/?page=2&per_page=25"),
            ("/?page=2&#X26;per_page=25", "/?page=2&per_page=25"),
            ("/?page=2&amp;per_page=25", "/?page=2&per_page=25"),
            ("/?sort=name&#38;page=2", "/?sort=name&page=2"),
            ("/?q=&lt;a&gt;&amp;page=2", "/?q=<a>&page=2"),
            ("/?q=&quot;x&quot;&#0038;page=3", "/?q=\"x\"&page=3"),
        ] {
            let html = format!("<a rel=\"next\" href=\"{written}\">next</a>");
            assert_eq!(
                next_from_html(html.as_bytes()).as_deref(),
                Some(meant),
                "{written}"
            );
        }
    }

    #[test]
    fn html_tags_are_read_as_a_browser_reads_them() {
        // Unquoted and single-quoted attributes, upper case, rel with several values,
        // a <link> in the head, and a commented-out link that must be ignored.
        let cases: [(&[u8], Option<&str>); 5] = [
            (b"<A HREF=/p2 REL=next>n</A>", Some("/p2")),
            (b"<a rel='nofollow next' href='/p3'>", Some("/p3")),
            (
                b"<head><link rel=\"next\" href=\"/p4\"></head>",
                Some("/p4"),
            ),
            (
                b"<!-- <a rel=\"next\" href=\"/old\"> --><a href=\"/p5\" rel=\"next\">",
                Some("/p5"),
            ),
            (
                b"<a data-rel=\"next\" href=\"/no\"><span rel=\"next\">",
                None,
            ),
        ];
        for (html, expected) in cases {
            assert_eq!(
                next_from_html(html).as_deref(),
                expected,
                "{}",
                String::from_utf8_lossy(html)
            );
        }
    }

    #[test]
    fn links_resolve_to_paths_on_the_same_target() {
        for (link, current, expected) in [
            ("http://elsewhere:9/a?b=1", "/x", Some("/a?b=1")),
            ("//elsewhere/a?b=2", "/x", Some("/a?b=2")),
            ("http://elsewhere?b=3", "/x", Some("/?b=3")),
            ("/a?page=2", "/x", Some("/a?page=2")),
            ("?page=2", "/list/?page=1", Some("/list/?page=2")),
            ("p2.html", "/docs/p1.html", Some("/docs/p2.html")),
            ("../up?page=2", "/a/b/c", Some("/a/up?page=2")),
            ("./p3#top", "/a/b", Some("/a/p3")),
            ("#top", "/a/b", None),
        ] {
            assert_eq!(resolve(link, current).as_deref(), expected, "{link}");
        }
    }
}

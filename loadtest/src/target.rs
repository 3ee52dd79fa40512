//! Named targets (`portal=http://127.0.0.1:5000`) that workflow actors refer to by name, so
//! one workflow file runs against a laptop stack or a staging load balancer unchanged.

use std::str::FromStr;

use hyper::Uri;

/// A base URL: scheme and authority, plus an optional path prefix (no trailing slash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    pub scheme: String,
    pub authority: String,
    pub prefix: String,
}

impl Target {
    /// The path-only URI (origin form, as HTTP/1 sends it) of a path and query under the
    /// target's prefix; the authority goes in the Host header. `None` unless the path starts
    /// with `/` and is a valid URI path.
    pub fn path_uri(&self, path_and_query: &str) -> Option<Uri> {
        if !path_and_query.starts_with('/') {
            return None;
        }
        let uri: Uri = if self.prefix.is_empty() {
            path_and_query.parse().ok()?
        } else {
            format!("{}{}", self.prefix, path_and_query).parse().ok()?
        };
        // A leading `/` always parses to a path, never to an authority.
        Some(uri)
    }

    pub fn base_url(&self) -> String {
        format!("{}://{}{}", self.scheme, self.authority, self.prefix)
    }
}

impl FromStr for Target {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (name, url) = text.split_once('=').ok_or_else(|| {
            format!("`{text}`: write a target as NAME=URL, e.g. portal=http://127.0.0.1:5000")
        })?;
        let name = name.trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        {
            return Err(format!(
                "`{text}`: the target name must be letters, digits, `-` or `_`"
            ));
        }
        let uri: Uri = url
            .trim()
            .parse()
            .map_err(|error| format!("`{url}` is not a URL: {error}"))?;
        // Only plain HTTP: the services under test speak HTTP behind the load balancer, and
        // TLS would measure the handshake instead of the service.
        if uri.scheme_str() != Some("http") {
            return Err(format!("`{url}`: only http:// targets are supported"));
        }
        let authority = uri
            .authority()
            .ok_or_else(|| format!("`{url}` has no host"))?
            .to_string();
        if uri.query().is_some() {
            return Err(format!("`{url}`: a target URL cannot have a query"));
        }
        let prefix = uri.path().trim_end_matches('/').to_owned();
        Ok(Target {
            name: name.to_owned(),
            scheme: "http".to_owned(),
            authority,
            prefix,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_joins_its_prefix_and_the_step_path() {
        let target: Target = "portal=http://127.0.0.1:5000/base/".parse().unwrap();
        assert_eq!(target.name, "portal");
        assert_eq!(
            target.path_uri("/?page=2").unwrap().to_string(),
            "/base/?page=2"
        );
        assert_eq!(target.authority, "127.0.0.1:5000");
        assert!(target.path_uri("no-slash").is_none());
        assert!(target.path_uri("/a b").is_none());
    }

    #[test]
    fn malformed_targets_name_the_bad_value() {
        assert!("portal".parse::<Target>().unwrap_err().contains("NAME=URL"));
        assert!(
            "p=https://x"
                .parse::<Target>()
                .unwrap_err()
                .contains("only http://")
        );
        assert!("p q=http://x".parse::<Target>().is_err());
        assert!(
            "p=not a url"
                .parse::<Target>()
                .unwrap_err()
                .contains("`not a url`")
        );
    }
}

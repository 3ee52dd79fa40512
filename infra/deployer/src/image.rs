//! Container image references (`repository:tag` or `repository@sha256:...`) and, for images in
//! ECR, the registry and repository they live in, so a release can check the image was pushed.

use std::fmt;
use std::str::FromStr;

/// An image reference with an explicit version. An implicit `latest` is refused on purpose: a
/// release must say exactly which build it ships, or a rollback cannot return to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Everything before the tag or digest, registry host included.
    pub repository: String,
    pub version: ImageVersion,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageVersion {
    Tag(String),
    /// `sha256:<hex>`
    Digest(String),
}

impl FromStr for ImageRef {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        if raw.is_empty() || raw.chars().any(char::is_whitespace) {
            return Err(format!("image {raw:?} is empty or contains whitespace"));
        }
        if let Some((repository, digest)) = raw.split_once('@') {
            let hex = digest.strip_prefix("sha256:").unwrap_or_default();
            if repository.is_empty()
                || hex.len() != 64
                || !hex.chars().all(|c| c.is_ascii_hexdigit())
            {
                return Err(format!(
                    "image {raw:?} has a malformed digest: expected <repository>@sha256:<64 hex digits>"
                ));
            }
            return Ok(ImageRef {
                repository: repository.to_string(),
                version: ImageVersion::Digest(digest.to_string()),
            });
        }
        // A ':' before the last '/' belongs to a registry port (host:5000/name), not a tag.
        let last_slash = raw.rfind('/').map_or(0, |i| i + 1);
        match raw[last_slash..].rfind(':') {
            Some(colon) if colon > 0 && colon + 1 < raw.len() - last_slash => {
                let split = last_slash + colon;
                Ok(ImageRef {
                    repository: raw[..split].to_string(),
                    version: ImageVersion::Tag(raw[split + 1..].to_string()),
                })
            }
            _ => Err(format!(
                "image {raw:?} has no tag: pass <repository>:<tag> or <repository>@sha256:<digest>"
            )),
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.version {
            ImageVersion::Tag(tag) => write!(f, "{}:{tag}", self.repository),
            ImageVersion::Digest(digest) => write!(f, "{}@{digest}", self.repository),
        }
    }
}

impl ImageRef {
    /// Where the image lives when it is in ECR; `None` for other registries.
    pub fn ecr(&self) -> Option<EcrLocation> {
        EcrLocation::parse(&self.repository)
    }

    /// The short form operators recognise in messages, without the registry host:
    /// `hwdash/portal:abc123`.
    pub fn short_name(&self) -> String {
        // Docker's rule: the first component is a registry host when it has a '.' or a ':'
        // (or is localhost).
        let name = match self.repository.split_once('/') {
            Some((host, rest)) if host.contains(['.', ':']) || host == "localhost" => rest,
            _ => &self.repository,
        };
        match &self.version {
            ImageVersion::Tag(tag) => format!("{name}:{tag}"),
            ImageVersion::Digest(digest) => format!("{name}@{digest}"),
        }
    }
}

/// `<account>.dkr.ecr.<region>.amazonaws.com/<repository name>`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrLocation {
    pub registry_id: String,
    pub region: String,
    pub repository_name: String,
}

impl EcrLocation {
    pub fn parse(repository: &str) -> Option<Self> {
        let (host, name) = repository.split_once('/')?;
        let labels: Vec<&str> = host.split('.').collect();
        let is_ecr = labels.len() >= 5
            && labels[0].len() == 12
            && labels[0].chars().all(|c| c.is_ascii_digit())
            && labels[1] == "dkr"
            && labels[2] == "ecr"
            && labels[4] == "amazonaws";
        (is_ecr && !name.is_empty()).then(|| EcrLocation {
            registry_id: labels[0].to_string(),
            region: labels[3].to_string(),
            repository_name: name.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ECR: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/hwdash/portal";

    #[test]
    fn a_tagged_ecr_image_splits_into_repository_and_tag() {
        let image: ImageRef = format!("{ECR}:abc123").parse().unwrap();
        assert_eq!(image.repository, ECR);
        assert_eq!(image.version, ImageVersion::Tag("abc123".into()));
        assert_eq!(image.to_string(), format!("{ECR}:abc123"));
        assert_eq!(image.short_name(), "hwdash/portal:abc123");
        let ecr = image.ecr().unwrap();
        assert_eq!(ecr.registry_id, "123456789012");
        assert_eq!(ecr.region, "us-east-1");
        assert_eq!(ecr.repository_name, "hwdash/portal");
    }

    #[test]
    fn a_registry_port_is_not_mistaken_for_a_tag() {
        let err = "localhost:5000/portal".parse::<ImageRef>().unwrap_err();
        assert!(err.contains("has no tag"), "{err}");
        let image: ImageRef = "localhost:5000/portal:v2".parse().unwrap();
        assert_eq!(image.repository, "localhost:5000/portal");
        assert_eq!(image.version, ImageVersion::Tag("v2".into()));
        assert_eq!(image.ecr(), None);
        assert_eq!(image.short_name(), "portal:v2");
        let image: ImageRef = "acme/portal:v2".parse().unwrap();
        assert_eq!(image.short_name(), "acme/portal:v2");
    }

    #[test]
    fn digests_must_be_sha256_with_64_hex_digits() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let image: ImageRef = format!("{ECR}@{digest}").parse().unwrap();
        assert_eq!(image.version, ImageVersion::Digest(digest));
        assert!(format!("{ECR}@sha256:abc").parse::<ImageRef>().is_err());
        assert!(
            format!("{ECR}@md5:{}", "a".repeat(64))
                .parse::<ImageRef>()
                .is_err()
        );
    }

    #[test]
    fn untagged_empty_and_spaced_references_are_refused() {
        for bad in ["", "portal", "portal:", "a b:c", ECR] {
            assert!(bad.parse::<ImageRef>().is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn only_ecr_hosts_give_an_ecr_location() {
        assert_eq!(EcrLocation::parse("ghcr.io/acme/portal"), None);
        assert_eq!(
            EcrLocation::parse("12345.dkr.ecr.us-east-1.amazonaws.com/x"),
            None
        );
        assert!(EcrLocation::parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com/a/b").is_some());
    }
}

use std::net::SocketAddr;

use crate::ClientError;

/// Parses a comma-separated collector list, e.g. `"127.0.0.1:8125,10.0.2.9:8125"`, in failover
/// order. Blank entries are ignored, so `""` (reporting off) gives an empty list.
/// Only IP:PORT is accepted: resolving names would make start-up wait on DNS.
pub fn parse_collectors(list: &str) -> Result<Vec<SocketAddr>, ClientError> {
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse()
                .map_err(|source| ClientError::InvalidCollector {
                    address: entry.to_owned(),
                    source,
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_keeps_its_order() {
        let parsed = parse_collectors("127.0.0.1:8125, [::1]:9000").unwrap();
        assert_eq!(
            parsed,
            vec![
                "127.0.0.1:8125".parse::<SocketAddr>().unwrap(),
                "[::1]:9000".parse().unwrap()
            ]
        );
    }

    #[test]
    fn an_empty_list_means_no_collectors() {
        assert!(parse_collectors("").unwrap().is_empty());
        assert!(parse_collectors(" , ").unwrap().is_empty());
    }

    #[test]
    fn a_bad_entry_is_named_in_the_error() {
        let err = parse_collectors("127.0.0.1:8125,metrics:8125").unwrap_err();
        assert!(err.to_string().contains("'metrics:8125'"), "{err}");
        assert!(parse_collectors("127.0.0.1").is_err());
    }
}

//! Socket addresses (`--bind`, collector lists, healthcheck targets): IP:PORT only, because a
//! host name would be resolved once at start and then silently go stale.

use std::net::{IpAddr, SocketAddr};

/// What every address message ends with.
pub const ACCEPTED_FORM: &str = "expected IP:PORT with a numeric IP and a port from 0 to 65535, e.g. 127.0.0.1:5001, 0.0.0.0:8080 or [::1]:5001";

/// Parses `IP:PORT`; the message says which part is wrong and the accepted form.
pub fn parse_socket_addr(raw: &str) -> Result<SocketAddr, String> {
    let text = raw.trim();
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let Some((host, port)) = text.rsplit_once(':') else {
        return Err(format!("'{raw}' has no port; {ACCEPTED_FORM}"));
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.parse::<IpAddr>().is_err() {
        return Err(format!(
            "'{host}' is not an IP address (host names are not looked up); {ACCEPTED_FORM}"
        ));
    }
    Err(format!(
        "port '{port}' is not a number from 0 to 65535; {ACCEPTED_FORM}"
    ))
}

/// A comma-separated list of addresses (the `metrics` collectors a service sends to, in
/// failover order); blank entries are skipped, so `""` is the empty list. One value for clap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressList(pub Vec<SocketAddr>);

impl AddressList {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Display for AddressList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list: Vec<String> = self.0.iter().map(SocketAddr::to_string).collect();
        f.write_str(&list.join(","))
    }
}

/// Parses an [`AddressList`]; each entry as [`parse_socket_addr`].
pub fn parse_address_list(raw: &str) -> Result<AddressList, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(parse_socket_addr)
        .collect::<Result<Vec<_>, _>>()
        .map(AddressList)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_and_port_parse() {
        assert_eq!(
            parse_socket_addr("127.0.0.1:5001"),
            Ok("127.0.0.1:5001".parse().unwrap())
        );
        assert_eq!(parse_socket_addr("[::1]:0"), Ok("[::1]:0".parse().unwrap()));
    }

    #[test]
    fn each_wrong_part_is_named_with_the_accepted_form() {
        for (raw, needle) in [
            ("localhost", "'localhost' has no port"),
            ("localhost:5001", "'localhost' is not an IP address"),
            (
                "127.0.0.1:99999",
                "port '99999' is not a number from 0 to 65535",
            ),
            ("127.0.0.1:http", "port 'http'"),
            ("[::1]:70000", "port '70000'"),
        ] {
            let err = parse_socket_addr(raw).unwrap_err();
            assert!(err.contains(needle), "{raw}: {err}");
            assert!(err.contains("expected IP:PORT"), "{raw}: {err}");
        }
    }

    #[test]
    fn a_list_keeps_its_order_skips_blanks_and_names_a_bad_entry() {
        let list = parse_address_list(" 127.0.0.1:8125, ,[::1]:9000").unwrap();
        assert_eq!(list.to_string(), "127.0.0.1:8125,[::1]:9000");
        assert!(parse_address_list("").unwrap().is_empty());
        let err = parse_address_list("127.0.0.1:8125,127.0.0.1").unwrap_err();
        assert!(err.contains("'127.0.0.1' has no port"), "{err}");
    }
}

//! This machine's name, for metrics keys and lease owners: the kernel's (what a container's
//! `hostname` says), then `HOSTNAME`, then `host`.

/// The host name, never empty.
pub fn host_name() -> String {
    let kernel = rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .trim()
        .to_owned();
    Some(kernel)
        .filter(|name| !name.is_empty())
        .or_else(|| {
            std::env::var("HOSTNAME")
                .ok()
                .filter(|name| !name.trim().is_empty())
        })
        .unwrap_or_else(|| "host".into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_host_name_is_the_kernels() {
        let expected = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
        assert_eq!(super::host_name(), expected.trim());
    }
}

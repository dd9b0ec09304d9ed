//! This process's resident memory and thread count, from
//! `/proc/self/status` (as Go's side reads them).

/// A numeric field of `/proc/self/status`: `VmRSS` (in KiB), `Threads`, ….
pub fn status(field: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status is readable");
    text.lines()
        .find_map(|line| {
            let (name, rest) = line.split_once(':')?;
            (name == field).then(|| rest.split_whitespace().next()?.parse().ok())?
        })
        .unwrap_or_else(|| panic!("no numeric {field} in /proc/self/status"))
}

/// Resident memory in bytes.
pub fn rss_bytes() -> u64 {
    status("VmRSS") * 1024
}

/// OS threads of this process.
pub fn threads() -> u64 {
    status("Threads")
}

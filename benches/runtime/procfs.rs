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

/// Raises this process's open-file limit to `want` (as root it may raise
/// the hard limit too), or else to the hard limit: the network scenarios
/// hold both ends of thousands of connections. Go raises its soft limit
/// to the hard one at start-up.
pub fn raise_nofile(want: u64) {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: reads this process's limit into a local.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return;
    }
    let raised = libc::rlimit { rlim_cur: want.max(limit.rlim_cur), rlim_max: want.max(limit.rlim_max) };
    // SAFETY: sets this process's own limit from a local.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
        let soft = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
        // SAFETY: as above; the soft limit may always rise to the hard one.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &soft) };
    }
}

/// `net.core.somaxconn`: the listen backlog Go uses, and so every network
/// scenario's listener (4,096 if it cannot be read).
pub fn somaxconn() -> u32 {
    std::fs::read_to_string("/proc/sys/net/core/somaxconn").ok().and_then(|s| s.trim().parse().ok()).unwrap_or(4096)
}

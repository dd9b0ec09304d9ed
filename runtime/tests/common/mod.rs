//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::process::{Command, Output};

/// Env var naming the child scenario a re-executed test binary should run.
const CHILD: &str = "GOROUTINES_TEST_CHILD";

/// Whether this process is the child running `name` (see [`run_child`]).
pub fn is_child(name: &str) -> bool {
    std::env::var(CHILD).is_ok_and(|v| v == name)
}

/// Runs the test `name` of this test binary in a fresh process, with `envs`
/// set, and returns its output. The test should start with
/// `if !common::is_child("name") { return; }` around its child part.
pub fn run_child(name: &str, envs: &[(&str, &str)]) -> Output {
    let exe = std::env::current_exe().expect("test binary path");
    let mut cmd = Command::new(exe);
    cmd.args([name, "--exact", "--nocapture", "--test-threads=1"]).env(CHILD, name);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("re-executing the test binary")
}

/// The `Threads:` line of /proc/self/status.
pub fn thread_count() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("a Threads: line")
}

/// Polls `cond` until it holds; panics after `secs` seconds (a hang guard,
/// not a timing assertion).
pub fn eventually(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !cond() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

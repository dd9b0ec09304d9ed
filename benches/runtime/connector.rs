//! idle_10k's clients, in a process of their own: this sandbox caps a
//! process at 20,000 open files (and may not raise the hard limit), so one
//! process cannot hold both ends of 10,000 connections. The server's
//! process (ours, tokio's, Go's) then holds only its own ends, and its RSS
//! is the server's alone. Go's side starts the same binary the same way
//! (`--connect ADDR N`).

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

/// `--connect ADDR N`: opens `N` connections to `ADDR`, prints
/// `connected`, and holds them until stdin closes.
pub fn main(args: &[String]) -> std::process::ExitCode {
    let (Some(addr), Some(Ok(n))) = (args.first(), args.get(1).map(|n| n.parse::<usize>())) else {
        eprintln!("usage: --connect ADDR N");
        return std::process::ExitCode::from(2);
    };
    let conns: Result<Vec<TcpStream>, _> = (0..n).map(|_| TcpStream::connect(addr.as_str())).collect();
    match conns {
        Ok(conns) => {
            println!("connected");
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
            drop(conns);
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("connector: {e}");
            std::process::ExitCode::from(1)
        }
    }
}

/// A running connector; dropping it closes its connections.
pub struct Connector {
    child: Child,
}

impl Connector {
    /// Starts one and waits until its `n` connections are open (accepted
    /// by the kernel; the server may not have taken them yet).
    pub fn start(addr: std::net::SocketAddr, n: usize) -> Connector {
        let exe = std::env::current_exe().expect("the bench binary's path");
        let mut child = Command::new(exe)
            .args(["--connect", &addr.to_string(), &n.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the connector");
        let out = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        let _ = BufReader::new(out).read_line(&mut line);
        assert_eq!(line.trim(), "connected", "the connector failed");
        Connector { child }
    }
}

impl Drop for Connector {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

//! The HTTP/1.1 the debug server speaks: one request per connection, read
//! and answered under limits, so that no client (slow, silent, malicious
//! or merely a browser tab left open) can hold the server or the program.
//! `httparse` parses the request head; everything around it is here.
//!
//! # Invariants
//!
//! 1. Every connection has its own thread, and at most `MAX_CONNECTIONS`
//!    exist at once; past that, a new connection is closed at once. So a
//!    client that never reads its reply, or never finishes its request,
//!    holds one thread for at most `IO_TIMEOUT` and nobody else waits.
//! 2. Every read and write has a timeout (`IO_TIMEOUT`); the request head
//!    is read into a buffer of at most `MAX_HEAD` bytes; a body is refused
//!    (400), never read, so its declared length allocates nothing.
//! 3. Every request that parses gets a reply, then the connection closes
//!    (`Connection: close`): no keep-alive connection outlives `stop`.
//! 4. The listener belongs to the accept thread; `stop` wakes it (a
//!    connection to itself) and joins it, so the port is closed when
//!    `stop` returns. An accept error (no file descriptors left) is waited
//!    out, not fatal.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Connections served at once (invariant 1).
const MAX_CONNECTIONS: usize = 16;
/// How long a read or a write may wait (invariant 2).
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest request head accepted (invariant 2).
const MAX_HEAD: usize = 8 * 1024;
/// Headers parsed at most.
const MAX_HEADERS: usize = 32;

/// A parsed request, as the router sees it.
pub(super) struct Request<'a> {
    /// The path and query (`/debug/goroutines?format=json`).
    pub(super) target: &'a str,
}

/// A reply to send.
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) content_type: &'static str,
    pub(super) body: String,
}

impl Reply {
    pub(super) fn text(status: u16, body: impl Into<String>) -> Reply {
        Reply { status, content_type: "text/plain; charset=utf-8", body: body.into() }
    }
}

/// The accept thread and what it shares with `stop`.
pub(super) struct Listening {
    addr: SocketAddr,
    stopping: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Starts accepting on `listener`; each request is answered by `handle`
/// on its connection's thread.
pub(super) fn listen(listener: TcpListener, handle: fn(&Request<'_>) -> Reply) -> io::Result<Listening> {
    let addr = listener.local_addr()?;
    let stopping = Arc::new(AtomicBool::new(false));
    let accepting = Arc::clone(&stopping);
    let thread = std::thread::Builder::new()
        .name("goroutines-debug".into())
        .spawn(move || accept_all(&listener, &accepting, handle))?;
    Ok(Listening { addr, stopping, thread: Some(thread) })
}

impl Listening {
    pub(super) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Invariant 4: closes the listener before returning.
    pub(super) fn stop(mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Wake the accept call; if the connection fails, the listener is
        // gone already.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn accept_all(listener: &TcpListener, stopping: &AtomicBool, handle: fn(&Request<'_>) -> Reply) {
    let open = Arc::new(AtomicUsize::new(0));
    loop {
        let conn = listener.accept();
        if stopping.load(Ordering::SeqCst) {
            return;
        }
        let conn = match conn {
            Ok((conn, _)) => conn,
            Err(_) => {
                // Invariant 4: out of descriptors, say; wait it out.
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        // Invariant 1: over the cap, the connection is dropped (closed).
        if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::SeqCst);
            continue;
        }
        let done = Arc::clone(&open);
        let started = std::thread::Builder::new().name("goroutines-debug-conn".into()).spawn(move || {
            serve_one(conn, handle);
            done.fetch_sub(1, Ordering::SeqCst);
        });
        if started.is_err() {
            open.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Reads one request from `conn`, answers it, and closes (invariant 3).
fn serve_one(mut conn: TcpStream, handle: fn(&Request<'_>) -> Reply) {
    if conn.set_read_timeout(Some(IO_TIMEOUT)).is_err() || conn.set_write_timeout(Some(IO_TIMEOUT)).is_err() {
        return;
    }
    let mut buf = vec![0u8; MAX_HEAD];
    let mut len = 0;
    let (reply, head_only) = loop {
        match conn.read(&mut buf[len..]) {
            // Closed or timed out before a whole head came: nobody to answer.
            Ok(0) | Err(_) => return,
            Ok(n) => len += n,
        }
        match answer(&buf[..len], handle) {
            Some(answered) => break answered,
            None if len == buf.len() => break (Reply::text(431, "request head too large\n"), false),
            None => {}
        }
    };
    let _ = write_reply(&mut conn, &reply, head_only);
    let _ = conn.shutdown(std::net::Shutdown::Write);
}

/// The reply to the request in `head`, or `None` while the head is
/// incomplete. The flag says the reply goes without its body (HEAD).
fn answer(head: &[u8], handle: fn(&Request<'_>) -> Reply) -> Option<(Reply, bool)> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(head) {
        Ok(httparse::Status::Partial) => return None,
        Ok(httparse::Status::Complete(_)) => {}
        Err(httparse::Error::TooManyHeaders) => return Some((Reply::text(431, "too many headers\n"), false)),
        Err(e) => return Some((Reply::text(400, format!("malformed request: {e}\n")), false)),
    }
    let (Some(method), Some(target)) = (req.method, req.path) else {
        return Some((Reply::text(400, "malformed request\n"), false));
    };
    let head_only = method == "HEAD";
    if method != "GET" && !head_only {
        return Some((Reply::text(405, format!("method {method} not allowed: use GET\n")), false));
    }
    let mut host = None;
    for h in req.headers.iter() {
        let name = h.name;
        if name.eq_ignore_ascii_case("content-length") {
            let declared = std::str::from_utf8(h.value).ok().and_then(|v| v.trim().parse::<u64>().ok());
            if declared != Some(0) {
                return Some((Reply::text(400, "this server takes no request body\n"), head_only));
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Some((Reply::text(400, "this server takes no request body\n"), head_only));
        } else if name.eq_ignore_ascii_case("host") {
            host = Some(h.value);
        }
    }
    // An absolute-form target names the host itself (RFC 9112 3.2.2).
    let target = match target.strip_prefix("http://") {
        Some(rest) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            host = Some(authority.as_bytes());
            if path.is_empty() {
                "/"
            } else {
                path
            }
        }
        None => target,
    };
    if let Some(host) = host {
        if !is_local_host(host) {
            let text = "only requests for localhost, 127.0.0.1 or [::1] are served (Host header)\n";
            return Some((Reply::text(403, text), head_only));
        }
    }
    Some((handle(&Request { target }), head_only))
}

/// Whether a `Host` value names this machine's loopback: a page elsewhere
/// that points its own name at 127.0.0.1 (DNS rebinding) must not read
/// the dump.
fn is_local_host(host: &[u8]) -> bool {
    let Ok(host) = std::str::from_utf8(host) else {
        return false;
    };
    let host = host.trim();
    let name = if let Some(rest) = host.strip_prefix('[') {
        // [::1] or [::1]:port
        match rest.split_once(']') {
            Some((ip, port)) if port.is_empty() || port.starts_with(':') => ip,
            _ => return false,
        }
    } else {
        host.rsplit_once(':').map_or(host, |(name, _port)| name)
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.to_canonical().is_loopback())
}

fn write_reply(conn: &mut TcpStream, reply: &Reply, head_only: bool) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n\
         X-Content-Type-Options: nosniff\r\n{}Connection: close\r\n\r\n",
        reply.status,
        reason(reply.status),
        reply.content_type,
        reply.body.len(),
        if reply.status == 405 { "Allow: GET, HEAD\r\n" } else { "" },
    );
    conn.write_all(head.as_bytes())?;
    if !head_only {
        conn.write_all(reply.body.as_bytes())?;
    }
    conn.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::{answer, is_local_host, Reply, Request};

    fn echo(r: &Request<'_>) -> Reply {
        Reply::text(200, r.target.to_string())
    }

    fn status(head: &str) -> Option<u16> {
        answer(head.as_bytes(), echo).map(|(r, _)| r.status)
    }

    #[test]
    fn requests_are_parsed_limited_and_answered() {
        assert_eq!(status("GET / HTTP/1.1\r\nHost: 127.0.0.1:6060\r\n\r\n"), Some(200));
        assert_eq!(status("GET / HTTP/1.1\r\nHost: 127.0.0.1"), None, "incomplete");
        assert_eq!(status("HEAD / HTTP/1.1\r\n\r\n"), Some(200));
        assert_eq!(status("POST / HTTP/1.1\r\n\r\n"), Some(405));
        assert_eq!(status("GARBAGE\r\n\r\n"), Some(400));
        assert_eq!(status("GET / HTTP/1.1\r\nContent-Length: 1099511627776\r\n\r\n"), Some(400));
        assert_eq!(status("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), Some(400));
        assert_eq!(status("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), Some(200));
        assert_eq!(status("GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n"), Some(403));
        assert_eq!(status("GET http://evil.example/ HTTP/1.1\r\nHost: localhost\r\n\r\n"), Some(403));
        let (r, _) = answer(b"GET http://localhost:1/debug/metrics HTTP/1.1\r\n\r\n", echo).unwrap();
        assert_eq!(r.body, "/debug/metrics");
    }

    #[test]
    fn only_loopback_hosts_are_local() {
        for h in [
            "localhost",
            "LOCALHOST:80",
            "127.0.0.1",
            "127.0.0.1:6060",
            "127.1.2.3",
            "[::1]",
            "[::1]:6060",
            "[::ffff:127.0.0.1]:1",
        ] {
            assert!(is_local_host(h.as_bytes()), "{h}");
        }
        for h in
            ["evil.example", "evil.example:6060", "10.0.0.1", "[::2]:1", "localhost.evil.example", "[::1", "[::1]x"]
        {
            assert!(!is_local_host(h.as_bytes()), "{h}");
        }
    }
}

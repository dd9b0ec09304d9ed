//! The HTTP/1.1 the debug server speaks: one request per connection, read
//! and answered under limits, so that no client (slow, silent, malicious
//! or merely a browser tab left open) can hold the server or the program.
//! `httparse` parses the request head; everything around it is here.
//!
//! # Invariants
//!
//! 1. Every connection has its own thread, and at most `MAX_CONNECTIONS`
//!    exist at once; past that, a new connection gets a short 503. The
//!    count is given back by a guard, so even a panicking handler (answered
//!    500) cannot use up a place.
//! 2. A connection lives at most `DEADLINE`, however slowly its client
//!    sends or reads: every read and write waits only for what is left of
//!    it. The request head is read into a buffer of at most `MAX_HEAD`
//!    bytes; a body is refused (400), never read, so its declared length
//!    allocates nothing.
//! 3. Every request that parses gets a reply, then the connection closes
//!    (`Connection: close`): no keep-alive connection outlives `stop`.
//!    Before closing, what the client sent beyond the head is read and
//!    dropped (a little, briefly: `LINGER`), since closing a socket with
//!    unread data makes the kernel reset it and discard the reply.
//! 4. The listener belongs to the accept thread; `stop` wakes it (a
//!    connection to itself) and joins it, so the port is closed when
//!    `stop` returns. An accept error (no file descriptors left) is waited
//!    out, not fatal; if even the waking connection cannot be made, `stop`
//!    leaves the thread to end at its next accept.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Connections served at once (invariant 1).
const MAX_CONNECTIONS: usize = 16;
/// How long one connection may last, reading and writing (invariant 2).
const DEADLINE: Duration = Duration::from_secs(30);
/// The longest request head accepted (invariant 2): room for the cookies a
/// browser sends to localhost from every other local server.
const MAX_HEAD: usize = 32 * 1024;
/// At most this much, for at most this long, is read and dropped before a
/// connection closes (invariant 3).
const LINGER: (usize, Duration) = (64 * 1024, Duration::from_secs(1));
/// The bytes of a reply written at once, each write waiting only for what
/// is left of the deadline.
const WRITE_CHUNK: usize = 64 * 1024;
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
        let Some(thread) = self.thread.take() else { return };
        // Wake the accept call with a connection of our own.
        for _ in 0..10 {
            if thread.is_finished() || TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)).is_ok() {
                let _ = thread.join();
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // No connection can be made (no descriptors left?): the thread
        // sees `stopping` at its next accept.
    }
}

fn accept_all(listener: &TcpListener, stopping: &AtomicBool, handle: fn(&Request<'_>) -> Reply) {
    let open = Arc::new(AtomicUsize::new(0));
    loop {
        let conn = listener.accept();
        if stopping.load(Ordering::SeqCst) {
            return;
        }
        let mut conn = match conn {
            Ok((conn, _)) => conn,
            Err(_) => {
                // Invariant 4: out of descriptors, say; wait it out.
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        // Invariant 1: over the cap, a short 503, written by this thread
        // with a short timeout.
        let Some(place) = Place::take(&open) else {
            let _ = conn.set_write_timeout(Some(Duration::from_millis(100)));
            let _ = write_reply(&mut conn, &Reply::text(503, "too many connections; try again\n"), false, None);
            continue;
        };
        // A failed spawn drops the closure, the place with it.
        let _ = std::thread::Builder::new().name("goroutines-debug-conn".into()).spawn(move || {
            let _place = place;
            serve_one(conn, handle);
        });
    }
}

/// One of the `MAX_CONNECTIONS` places, given back on drop (invariant 1).
struct Place(Arc<AtomicUsize>);

impl Place {
    fn take(open: &Arc<AtomicUsize>) -> Option<Place> {
        if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Place(Arc::clone(open)))
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What is left of a connection's deadline, or `None` once it has passed.
fn left(deadline: Instant) -> Option<Duration> {
    deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero())
}

/// Reads one request from `conn`, answers it, and closes (invariants 2, 3).
fn serve_one(mut conn: TcpStream, handle: fn(&Request<'_>) -> Reply) {
    let deadline = Instant::now() + DEADLINE;
    let mut buf = vec![0u8; MAX_HEAD];
    let mut len = 0;
    let (reply, head_only) = loop {
        let Some(wait) = left(deadline) else { return };
        if conn.set_read_timeout(Some(wait)).is_err() {
            return;
        }
        match conn.read(&mut buf[len..]) {
            Ok(n) if n > 0 => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // Closed, or out of time, before a whole head came: nobody to
            // answer.
            _ => return,
        }
        match answer(&buf[..len], handle) {
            Some(answered) => break answered,
            None if len == buf.len() => break (Reply::text(431, "request head too large\n"), false),
            None => {}
        }
    };
    if write_reply(&mut conn, &reply, head_only, Some(deadline)).is_err() {
        return;
    }
    linger(&mut conn, &mut buf);
}

/// Invariant 3: half-closes, then reads and drops what the client still
/// sends, a little and briefly, so that closing does not reset the
/// connection under the reply.
fn linger(conn: &mut TcpStream, buf: &mut [u8]) {
    let _ = conn.shutdown(std::net::Shutdown::Write);
    let (most, longest) = LINGER;
    let until = Instant::now() + longest;
    let mut dropped = 0;
    while dropped < most {
        let Some(wait) = left(until) else { return };
        if conn.set_read_timeout(Some(wait)).is_err() {
            return;
        }
        match conn.read(buf) {
            Ok(n) if n > 0 => dropped += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            _ => return,
        }
    }
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
        if name.eq_ignore_ascii_case("host") && host.replace(h.value).is_some() {
            return Some((Reply::text(400, "more than one Host header\n"), head_only));
        } else if name.eq_ignore_ascii_case("content-length") {
            let declared = std::str::from_utf8(h.value).ok().and_then(|v| v.trim().parse::<u64>().ok());
            if declared != Some(0) {
                return Some((Reply::text(400, "this server takes no request body\n"), head_only));
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Some((Reply::text(400, "this server takes no request body\n"), head_only));
        }
    }
    // An absolute-form target names the host itself (RFC 9112 3.2.2).
    let target = match absolute_form(target) {
        Some((authority, rest)) => {
            host = Some(authority.as_bytes());
            rest
        }
        None => target,
    };
    if let Some(host) = host {
        if !is_local_host(host) {
            let text = "only requests for localhost, 127.0.0.1 or [::1] are served (Host header)\n";
            return Some((Reply::text(403, text), head_only));
        }
    }
    let reply = std::panic::catch_unwind(|| handle(&Request { target }))
        .unwrap_or_else(|_| Reply::text(500, "the debug server failed on this request\n"));
    Some((reply, head_only))
}

/// `http://authority/rest` (any case, or https): the authority and the
/// rest as an origin-form target (`/` when empty or a bare query).
fn absolute_form(target: &str) -> Option<(&str, &str)> {
    let scheme_end = target.find("://")?;
    if !matches!(target[..scheme_end].to_ascii_lowercase().as_str(), "http" | "https") {
        return None;
    }
    let rest = &target[scheme_end + 3..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    Some((authority, if path.starts_with('/') { path } else { "/" }))
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
    // One trailing dot is the same name; *.localhost is loopback too (RFC 6761).
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.to_canonical().is_loopback())
}

/// Writes `reply`, each chunk waiting only for what is left of `deadline`
/// (if any; else the socket's own timeout holds).
fn write_reply(conn: &mut TcpStream, reply: &Reply, head_only: bool, deadline: Option<Instant>) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n\
         X-Content-Type-Options: nosniff\r\n{}Connection: close\r\n\r\n",
        reply.status,
        reason(reply.status),
        reply.content_type,
        reply.body.len(),
        if reply.status == 405 { "Allow: GET, HEAD\r\n" } else { "" },
    );
    let body = if head_only { &[][..] } else { reply.body.as_bytes() };
    for chunk in std::iter::once(head.as_bytes()).chain(body.chunks(WRITE_CHUNK)) {
        if let Some(deadline) = deadline {
            let wait = left(deadline).ok_or(io::ErrorKind::TimedOut)?;
            conn.set_write_timeout(Some(wait))?;
        }
        conn.write_all(chunk)?;
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
        500 => "Internal Server Error",
        503 => "Service Unavailable",
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
        let (r, _) = answer(b"GET HTTP://localhost?format=json HTTP/1.1\r\n\r\n", echo).unwrap();
        assert_eq!(r.body, "/");
        assert_eq!(status("GET / HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\n\r\n"), Some(400));
    }

    #[test]
    fn only_loopback_hosts_are_local() {
        for h in [
            "localhost",
            "LOCALHOST:80",
            "localhost.",
            "app.localhost:1",
            "127.0.0.1",
            "127.0.0.1:6060",
            "127.1.2.3",
            "[::1]",
            "[::1]:6060",
            "[::ffff:127.0.0.1]:1",
        ] {
            assert!(is_local_host(h.as_bytes()), "{h}");
        }
        for h in [
            "evil.example",
            "evil.example:6060",
            "10.0.0.1",
            "0.0.0.0",
            "[::2]:1",
            "localhost.evil.example",
            "[::1",
            "[::1]x",
        ] {
            assert!(!is_local_host(h.as_bytes()), "{h}");
        }
    }
}

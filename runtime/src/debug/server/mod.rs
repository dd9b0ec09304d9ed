//! `debug::serve(addr)`: the dump, the metrics and a page over HTTP, on
//! loopback (Go's `net/http/pprof` goroutine page).
//!
//! # Invariants
//!
//! 1. The server runs on plain threads of its own (tiny_http's accept and
//!    connection threads, and one thread answering requests), never on a
//!    worker: a goroutine holding its worker, or every goroutine being
//!    stuck, does not stop it answering, and it takes no worker from them.
//! 2. Reading what it serves never stops or slows a goroutine (dump.rs,
//!    stats.rs): a request costs the program only the answering thread's
//!    time, and requests are answered one at a time, so a flood of them
//!    costs at most that one thread.
//! 3. It listens only on the loopback addresses it was given: the dump
//!    names source files and lines, which is not for other machines.
//! 4. A request it does not know gets 404, a malformed one 400 (tiny_http
//!    answers those it cannot parse; we answer bad targets and queries),
//!    a method other than GET or HEAD 405; no request is left unanswered
//!    and none ends the server.

mod json;
mod page;

use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use tiny_http::{Header, Method, Request, Response};

use super::{dump, goroutines, metrics};

/// A running debug server (see [`serve`]). Dropping the handle leaves the
/// server running for the rest of the process, as Go's
/// `go http.ListenAndServe(...)` does; [`stop`](DebugServer::stop) ends it.
#[derive(Debug)]
pub struct DebugServer {
    addr: SocketAddr,
    shared: Arc<ServerShared>,
    thread: Option<JoinHandle<()>>,
}

struct ServerShared {
    http: tiny_http::Server,
    stopping: AtomicBool,
}

impl std::fmt::Debug for ServerShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerShared").field("stopping", &self.stopping).finish_non_exhaustive()
    }
}

/// Serves what the `debug` module shows over HTTP at `addr`, which must be
/// a loopback address (`127.0.0.1:6060`, `[::1]:6060`, `localhost:6060`;
/// port 0 picks a free port: see [`DebugServer::local_addr`]):
///
/// | path | what |
/// | --- | --- |
/// | `/` | a page grouping goroutines by state and spawn site, refreshing itself |
/// | `/debug/goroutines` | the dump, as [`dump()`] writes it |
/// | `/debug/goroutines?format=json` | the same, as JSON |
/// | `/debug/metrics` | [`metrics()`] in Prometheus's text format |
///
/// Anything else gets a 404, a malformed request a 400, and neither
/// disturbs the program. The server answers from threads of its own, so it
/// answers even when every worker is held or every goroutine is stuck.
///
/// # Errors
/// When `addr` does not resolve, resolves to an address that is not
/// loopback (`InvalidInput`), or cannot be bound (in use: `AddrInUse`).
///
/// ```
/// use goroutines_runtime::debug;
/// use std::io::{Read, Write};
/// let server = debug::serve("127.0.0.1:0")?;
/// let mut conn = std::net::TcpStream::connect(server.local_addr())?;
/// conn.write_all(b"GET /debug/metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
/// let mut reply = String::new();
/// conn.read_to_string(&mut reply)?;
/// assert!(reply.starts_with("HTTP/1.1 200"));
/// assert!(reply.contains("goroutines_spawned_total"));
/// server.stop();
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn serve<A: ToSocketAddrs>(addr: A) -> io::Result<DebugServer> {
    let addrs: Vec<SocketAddr> = addr.to_socket_addrs()?.collect();
    if addrs.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "debug::serve: the address resolved to nothing"));
    }
    if let Some(public) = addrs.iter().find(|a| !a.ip().is_loopback()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "debug::serve: {public} is not a loopback address; the debug server shows source paths and \
                 listens only on loopback (e.g. 127.0.0.1:6060)"
            ),
        ));
    }
    let listener = TcpListener::bind(&addrs[..])?;
    let addr = listener.local_addr()?;
    let http = tiny_http::Server::from_listener(listener, None).map_err(io::Error::other)?;
    let shared = Arc::new(ServerShared { http, stopping: AtomicBool::new(false) });
    let serving = Arc::clone(&shared);
    let thread = std::thread::Builder::new().name("goroutines-debug".into()).spawn(move || answer_all(&serving))?;
    Ok(DebugServer { addr, shared, thread: Some(thread) })
}

impl DebugServer {
    /// The address it listens on (with the port chosen, if `serve` was
    /// given port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops answering and waits for the answering thread to end; the
    /// listening socket closes just after (tiny_http's accept thread
    /// closes it on its way out). Requests not yet answered are dropped.
    pub fn stop(mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        self.shared.http.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        // The last reference to the tiny_http server goes with `self`: its
        // drop closes the listener and ends its accept thread.
    }
}

/// The answering thread (invariant 1): one request at a time, until stopped.
fn answer_all(shared: &ServerShared) {
    loop {
        match shared.http.recv() {
            Ok(request) => answer(request),
            Err(_) if shared.stopping.load(Ordering::SeqCst) => return,
            // An accept error (out of file descriptors, say): the server
            // carries on; don't spin on it.
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
        }
    }
}

/// What a request asked for.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    Page,
    Dump,
    DumpJson,
    Metrics,
}

/// Routes a request target (`/path?query`); `Err` is the status and the
/// message for the client.
fn route(target: &str) -> Result<Route, (u16, String)> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if !path.starts_with('/') {
        return Err((400, format!("bad request target {target:?}: expected a path such as /debug/goroutines")));
    }
    let mut format = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key == "format" {
            format = Some(value);
        }
    }
    let known = match path {
        "/" | "/index.html" => Some(Route::Page),
        "/debug/goroutines" => Some(match format {
            None | Some("text") => Route::Dump,
            Some("json") => Route::DumpJson,
            Some(other) => return Err((400, format!("unknown format {other:?}: use format=text or format=json"))),
        }),
        "/debug/metrics" => Some(Route::Metrics),
        _ => None,
    };
    known.ok_or_else(|| {
        (404, format!("404 page not found: {path}\nthis server serves /, /debug/goroutines and /debug/metrics"))
    })
}

fn answer(request: Request) {
    let method = request.method().clone();
    if method != Method::Get && method != Method::Head {
        let reply =
            text(405, format!("method {method} not allowed: use GET\n")).with_header(header("Allow", "GET, HEAD"));
        let _ = request.respond(reply);
        return;
    }
    let reply = match route(request.url()) {
        Ok(Route::Page) => body(200, "text/html; charset=utf-8", page::render(&goroutines(), &metrics())),
        Ok(Route::Dump) => text(200, dump()),
        Ok(Route::DumpJson) => body(200, "application/json", json::goroutines(&goroutines())),
        Ok(Route::Metrics) => body(200, "text/plain; version=0.0.4; charset=utf-8", metrics().to_prometheus()),
        Err((status, message)) => text(status, message + "\n"),
    };
    // The client may have gone; nothing to do about it.
    let _ = request.respond(reply);
}

type Reply = Response<io::Cursor<Vec<u8>>>;

fn text(status: u16, s: String) -> Reply {
    body(status, "text/plain; charset=utf-8", s)
}

fn body(status: u16, content_type: &'static str, s: String) -> Reply {
    Response::from_string(s)
        .with_status_code(status)
        .with_header(header("Content-Type", content_type))
        .with_header(header("Cache-Control", "no-store"))
}

fn header(name: &'static str, value: &'static str) -> Header {
    match Header::from_bytes(name.as_bytes(), value.as_bytes()) {
        Ok(h) => h,
        // Only constant, valid ASCII names and values are passed here.
        Err(()) => unreachable!("invalid header {name}: {value}"),
    }
}

#[cfg(test)]
mod tests {
    use super::{route, Route};

    #[test]
    fn routes_known_paths_and_refuses_the_rest() {
        assert_eq!(route("/"), Ok(Route::Page));
        assert_eq!(route("/debug/goroutines"), Ok(Route::Dump));
        assert_eq!(route("/debug/goroutines?format=json"), Ok(Route::DumpJson));
        assert_eq!(route("/debug/goroutines?x=1&format=text"), Ok(Route::Dump));
        assert_eq!(route("/debug/metrics"), Ok(Route::Metrics));
        assert_eq!(route("/nope").map_err(|e| e.0), Err(404));
        assert_eq!(route("/debug/goroutines?format=xml").map_err(|e| e.0), Err(400));
        assert_eq!(route("*").map_err(|e| e.0), Err(400));
    }
}

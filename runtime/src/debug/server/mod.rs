//! `debug::serve(addr)`: the dump, the metrics and a page over HTTP, on
//! loopback (Go's `net/http/pprof` goroutine page). `http.rs` speaks HTTP;
//! this file routes and renders.
//!
//! # Invariants
//!
//! 1. The server runs on plain threads of its own (one accepting, one per
//!    connection, bounded: http.rs), never on a worker: a goroutine holding
//!    its worker, or every goroutine being stuck, does not stop it
//!    answering, and it takes no worker from them.
//! 2. Reading what it serves never stops or slows a goroutine (dump.rs,
//!    stats.rs): a request costs the program only its thread's time.
//! 3. It listens only on the loopback addresses it was given, and answers
//!    only requests addressed to a loopback name (the dump names source
//!    files and lines, which is not for other machines or other sites).
//! 4. A request it does not know gets 404, a malformed one 400, a method
//!    other than GET or HEAD 405; none ends the server or the program.

mod http;
mod json;
mod page;

use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};

use http::{Reply, Request};

use super::{dump, goroutines, metrics::metrics_of};

/// A running debug server (see [`serve`]). Dropping the handle leaves the
/// server running for the rest of the process, as Go's
/// `go http.ListenAndServe(...)` does; [`stop`](DebugServer::stop) ends it.
pub struct DebugServer {
    listening: http::Listening,
}

impl std::fmt::Debug for DebugServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DebugServer").field("addr", &self.listening.addr()).finish()
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
/// | `/debug/metrics` | [`metrics()`](super::metrics) in Prometheus's text format |
///
/// Anything else gets a 404, a malformed request a 400 (a request body
/// too: none is taken), and a request addressed to a name that is not
/// loopback (its `Host`: a web page using DNS rebinding) a 403; none
/// disturbs the program. Each connection carries one request and has its
/// own thread (16 at most; past that, a 503) and 30 s to live, so a slow
/// or silent client holds nobody else for long. The server answers from
/// threads of its own, so it answers even when every worker is held or
/// every goroutine is stuck.
///
/// A name that resolves to several addresses (`localhost`) is bound on the
/// first of them that is free.
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
/// conn.write_all(b"GET /debug/metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")?;
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
    if let Some(public) = addrs.iter().find(|a| !a.ip().to_canonical().is_loopback()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "debug::serve: {public} is not a loopback address; the debug server shows source paths and \
                 listens only on loopback (e.g. 127.0.0.1:6060)"
            ),
        ));
    }
    let listener = TcpListener::bind(&addrs[..])?;
    Ok(DebugServer { listening: http::listen(listener, answer)? })
}

impl DebugServer {
    /// The address it listens on (with the port chosen, if `serve` was
    /// given port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listening.addr()
    }

    /// Stops accepting and closes the listening socket before returning.
    /// A request being answered finishes on its own thread.
    pub fn stop(self) {
        self.listening.stop();
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

/// Answers one request (on its connection's thread).
fn answer(request: &Request<'_>) -> Reply {
    let ok = |content_type, body| Reply { status: 200, content_type, body };
    match route(request.target) {
        Ok(Route::Page) => {
            let all = goroutines();
            let m = metrics_of(&all);
            ok("text/html; charset=utf-8", page::render(&all, &m))
        }
        Ok(Route::Dump) => ok("text/plain; charset=utf-8", dump()),
        Ok(Route::DumpJson) => ok("application/json", json::goroutines(&goroutines())),
        Ok(Route::Metrics) => ok("text/plain; version=0.0.4; charset=utf-8", metrics_of(&goroutines()).to_prometheus()),
        Err((status, message)) => Reply::text(status, message + "\n"),
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

//! `debug::serve`: the page, the dump (text and JSON) and the metrics over
//! real HTTP; bad requests answered and survived; the addresses it binds.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use goroutines_runtime::{chan, debug, spawn, WaitGroup};

/// An HTTP client that reports every status as a response (404 too) and
/// ignores proxies from the environment.
fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// GETs `path`: (status, content type, body).
fn get(agent: &ureq::Agent, at: SocketAddr, path: &str) -> (u16, String, String) {
    let mut resp = agent.get(&format!("http://{at}{path}")).call().expect("the server answers");
    let status = resp.status().as_u16();
    let kind = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = resp.body_mut().read_to_string().expect("a text body");
    (status, kind, body)
}

/// Sends `raw` as it is and returns the reply's status line.
fn raw_status_line(at: SocketAddr, raw: &[u8]) -> String {
    let mut conn = TcpStream::connect(at).expect("connect");
    conn.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    conn.write_all(raw).expect("send");
    let mut reply = Vec::new();
    let _ = conn.read_to_end(&mut reply);
    let reply = String::from_utf8_lossy(&reply);
    reply.lines().next().unwrap_or("").to_string()
}

#[test]
fn serves_the_page_the_dump_as_text_and_json_and_the_metrics() {
    let (tx, rx) = chan::<u32>(0);
    let mut parked = Vec::new();
    for _ in 0..30 {
        let rx = rx.clone();
        parked.push(spawn(move || rx.recv()));
    }
    let ids: Vec<u64> = parked.iter().map(|h| h.id()).collect();
    // Wait (hang guard aside, untimed) until all 30 are parked.
    let deadline = Instant::now() + Duration::from_secs(60);
    while debug::goroutines().iter().filter(|g| ids.contains(&g.id) && g.doing() == "chan receive").count() < 30 {
        assert!(Instant::now() < deadline, "the goroutines never parked");
        std::thread::sleep(Duration::from_millis(5));
    }

    let server = debug::serve("127.0.0.1:0").expect("serve");
    let at = server.local_addr();
    let agent = client();

    let (status, kind, page) = get(&agent, at, "/");
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(page.contains("http-equiv=\"refresh\""), "the page refreshes itself");
    // One group of (at least) our 30, doing a chan receive, spawned here.
    let row = page
        .lines()
        .find(|l| l.contains("debug_server.rs") && l.contains("chan receive"))
        .unwrap_or_else(|| panic!("no group for our goroutines in:\n{page}"));
    let count: usize = row
        .split("<td class=\"n\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no count in {row}"));
    assert!(count >= 30, "{row}");

    let (status, kind, dump) = get(&agent, at, "/debug/goroutines");
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/plain"), "{kind}");
    for id in &ids {
        assert!(dump.contains(&format!("goroutine {id} [chan receive")), "goroutine {id} missing:\n{dump}");
    }

    let (status, kind, json) = get(&agent, at, "/debug/goroutines?format=json");
    assert_eq!(status, 200);
    assert_eq!(kind, "application/json");
    assert!(json.starts_with("{\"goroutines\":[") && json.trim_end().ends_with("]}"), "{json}");
    for id in &ids {
        let entry = format!("{{\"id\":{id},");
        let at_entry = json.find(&entry).unwrap_or_else(|| panic!("goroutine {id} missing: {json}"));
        let rest = &json[at_entry..];
        let entry_end = rest.find("}},").or_else(|| rest.find("}}]")).unwrap_or(rest.len());
        let one = &rest[..entry_end];
        assert!(one.contains("\"state\":\"waiting\""), "{one}");
        assert!(one.contains("\"wait_reason\":\"chan receive\""), "{one}");
        assert!(one.contains("debug_server.rs"), "{one}");
    }

    let (status, kind, metrics) = get(&agent, at, "/debug/metrics");
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    let value = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
            .unwrap_or_else(|| panic!("{name} missing:\n{metrics}"))
    };
    assert!(value("goroutines{state=\"waiting\"}") >= 30);
    assert!(value("goroutines_spawned_total") >= 30);
    assert!(value("goroutines_context_switches_total") >= 30);
    assert!(value("goroutines_parks_total") >= 30);
    assert!(value("goroutines_stacks{state=\"in_use\"}") >= 30);
    for name in ["goroutines_steals_total", "goroutines_stacks{state=\"pooled\"}", "goroutines_blocking_threads"] {
        value(name);
    }
    assert!(value("goroutines_workers") >= 1);

    server.stop();
    drop(tx);
    for h in parked {
        assert_eq!(h.join().unwrap(), None);
    }
}

#[test]
fn unknown_and_malformed_requests_get_404_and_400_and_change_nothing() {
    let server = debug::serve("127.0.0.1:0").expect("serve");
    let at = server.local_addr();
    let agent = client();
    assert_eq!(get(&agent, at, "/nope").0, 404);
    assert_eq!(get(&agent, at, "/debug/goroutines/more").0, 404);
    assert_eq!(get(&agent, at, "/debug/goroutines?format=xml").0, 400);
    assert_eq!(raw_status_line(at, b"GARBAGE\r\n\r\n").split(' ').nth(1), Some("400"));
    assert_eq!(
        raw_status_line(at, b"GET nope HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").split(' ').nth(1),
        Some("400")
    );
    assert_eq!(
        raw_status_line(
            at,
            b"POST /debug/metrics HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .split(' ')
        .nth(1),
        Some("405")
    );
    // A client that connects and leaves without a word.
    drop(TcpStream::connect(at).expect("connect"));
    // A body is refused unread, whatever length it claims.
    for claim in ["2000", "1099511627776", "18446744073709551615"] {
        let raw = format!("GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: {claim}\r\n\r\n");
        assert_eq!(raw_status_line(at, raw.as_bytes()).split(' ').nth(1), Some("400"), "{claim}");
    }
    // A page elsewhere that points its own name at 127.0.0.1 reads nothing.
    assert_eq!(
        raw_status_line(at, b"GET /debug/goroutines HTTP/1.1\r\nHost: evil.example:6060\r\n\r\n").split(' ').nth(1),
        Some("403")
    );
    // HEAD: the headers alone.
    let mut conn = TcpStream::connect(at).expect("connect");
    conn.write_all(b"HEAD /debug/metrics HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    let mut reply = String::new();
    conn.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.ends_with("\r\n\r\n"), "no body after a HEAD: {reply}");
    // An absolute-form target is a target too.
    let raw = format!("GET http://{at}/debug/metrics HTTP/1.1\r\nHost: {at}\r\n\r\n");
    assert_eq!(raw_status_line(at, raw.as_bytes()).split(' ').nth(1), Some("200"));
    // The server serves on, and so does the runtime.
    assert_eq!(get(&agent, at, "/debug/metrics").0, 200);
    assert_eq!(spawn(|| 7).join().unwrap(), 7);
    server.stop();
}

#[test]
fn clients_that_never_finish_or_never_read_hold_nobody_else() {
    let server = debug::serve("127.0.0.1:0").expect("serve");
    let at = server.local_addr();
    // One sends half a request and waits; one asks for the page again and
    // again without reading a byte of the replies.
    let mut half = TcpStream::connect(at).expect("connect");
    half.write_all(b"GET /debug/goroutines HTTP/1.1\r\nHost: loc").unwrap();
    let mut greedy = TcpStream::connect(at).expect("connect");
    for _ in 0..50 {
        if greedy.write_all(b"GET /debug/goroutines HTTP/1.1\r\nHost: localhost\r\n\r\n").is_err() {
            break;
        }
    }
    // Meanwhile everyone else is answered.
    let agent = client();
    for path in ["/", "/debug/goroutines", "/debug/metrics"] {
        assert_eq!(get(&agent, at, path).0, 200, "{path}");
    }
    drop((half, greedy));
    server.stop();
}

#[test]
fn a_reply_arrives_whole_though_the_client_sent_more_than_the_request() {
    // A dump of some size, so that the reply is still being sent when the
    // server closes.
    let (tx, rx) = chan::<u32>(0);
    let parked: Vec<_> = (0..2_000)
        .map(|_| {
            let rx = rx.clone();
            spawn(move || rx.recv())
        })
        .collect();
    let server = debug::serve("127.0.0.1:0").expect("serve");
    let mut conn = TcpStream::connect(server.local_addr()).expect("connect");
    conn.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    // The request; then, once the server has read it, bytes it never reads
    // as a request; then the reply is read late, once the server is done
    // writing and closing. A close with those bytes unread would reset the
    // connection, and the part of the reply not yet read would be lost.
    conn.write_all(b"GET /debug/goroutines HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let _ = conn.write_all(&[b'x'; 4096]);
    std::thread::sleep(Duration::from_millis(300));
    let mut reply = Vec::new();
    conn.read_to_end(&mut reply).expect("the reply, then a clean close");
    let reply = String::from_utf8_lossy(&reply);
    let (head, body) = reply.split_once("\r\n\r\n").expect("a head and a body");
    let declared: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .and_then(|v| v.trim().parse().ok())
        .expect("a Content-Length");
    assert_eq!(body.len(), declared, "the whole body arrived");
    server.stop();
    drop(tx);
    for h in parked {
        assert_eq!(h.join().unwrap(), None);
    }
}

#[test]
fn serve_on_an_address_in_use_is_an_err() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let err = debug::serve(taken.local_addr().unwrap()).expect_err("the port is taken");
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse, "{err}");
}

#[test]
fn serve_binds_where_told_and_only_on_loopback() {
    for public in ["0.0.0.0:0", "[::]:0", "8.8.8.8:80"] {
        let err = debug::serve(public).expect_err("not loopback");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{public}: {err}");
        assert!(err.to_string().contains("loopback"), "{err}");
    }
    let server = debug::serve("127.0.0.1:0").expect("serve");
    let at = server.local_addr();
    assert_eq!(at.ip(), "127.0.0.1".parse::<std::net::IpAddr>().unwrap());
    assert_ne!(at.port(), 0);
    // Not on this machine's other addresses: find one, if it has one (a
    // UDP "connect" sends nothing; it only picks the outgoing interface).
    let other = std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| s.connect("192.0.2.1:9").map(|()| s))
        .and_then(|s| s.local_addr())
        .map(|a| a.ip())
        .ok()
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified());
    if let Some(ip) = other {
        let there = SocketAddr::new(ip, at.port());
        assert!(TcpStream::connect_timeout(&there, Duration::from_secs(5)).is_err(), "it listens on {there} too");
    }
    server.stop();
    assert!(TcpStream::connect(at).is_err(), "still listening after stop");
}

#[test]
fn a_thousand_requests_from_eight_clients_while_ten_thousand_goroutines_churn() {
    const GOROUTINES: u64 = 10_000;
    const CLIENTS: usize = 8;
    const REQUESTS: usize = 1_000;
    let server = debug::serve("127.0.0.1:0").expect("serve");
    let at = server.local_addr();

    // The churn: waves of 10,000 goroutines, each passing a value through a
    // channel to a partner and ending, until the clients are done.
    let done = Arc::new(AtomicBool::new(false));
    let (spawned, finished) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let churn = {
        let (done, spawned, finished) = (done.clone(), spawned.clone(), finished.clone());
        spawn(move || {
            let mut waves = 0;
            while !done.load(Ordering::Relaxed) || waves == 0 {
                let wg = WaitGroup::new();
                for _ in 0..GOROUTINES / 2 {
                    let (tx, rx) = chan::<u64>(0);
                    let f = finished.clone();
                    spawned.fetch_add(2, Ordering::Relaxed);
                    wg.go(move || {
                        tx.send(1).unwrap();
                        f.fetch_add(1, Ordering::Relaxed);
                    });
                    let f = finished.clone();
                    wg.go(move || {
                        assert_eq!(rx.recv(), Some(1));
                        f.fetch_add(1, Ordering::Relaxed);
                    });
                }
                wg.wait();
                waves += 1;
            }
            waves
        })
    };

    let paths = ["/", "/debug/goroutines", "/debug/goroutines?format=json", "/debug/metrics"];
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            std::thread::spawn(move || {
                let agent = client();
                let mut errors = Vec::new();
                for i in 0..REQUESTS / CLIENTS {
                    let path = paths[(c + i) % paths.len()];
                    let (status, _, body) = get(&agent, at, path);
                    if status != 200 || body.is_empty() {
                        errors.push(format!("{path}: {status}"));
                    }
                }
                errors
            })
        })
        .collect();
    let errors: Vec<String> = clients.into_iter().flat_map(|c| c.join().unwrap()).collect();
    done.store(true, Ordering::Relaxed);
    let waves = churn.join().unwrap();
    server.stop();

    assert!(errors.is_empty(), "failed requests: {errors:?}");
    assert!(waves >= 1);
    let (spawned, finished) = (spawned.load(Ordering::Relaxed), finished.load(Ordering::Relaxed));
    assert_eq!(spawned, waves * GOROUTINES);
    assert_eq!(finished, spawned, "every goroutine ran to its end");
}

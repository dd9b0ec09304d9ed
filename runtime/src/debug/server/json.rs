//! The dump as JSON (`/debug/goroutines?format=json`), written by hand:
//! one flat shape, no serializer needed.
//!
//! ```text
//! {"goroutines":[{"id":7,"parent":1,"root":1,"state":"waiting",
//!   "wait_reason":"chan receive","doing":"chan receive","for_ms":2130,
//!   "spawn_site":{"file":"src/main.rs","line":10,"column":5},
//!   "wait_site":{"file":"src/main.rs","line":12,"column":9}}]}
//! ```

use std::fmt::Write as _;
use std::panic::Location;

use crate::debug::{GoroutineInfo, State};

/// Every goroutine of `all` as one JSON document.
pub(super) fn goroutines(all: &[GoroutineInfo]) -> String {
    let mut out = String::with_capacity(64 + all.len() * 192);
    out.push_str("{\"goroutines\":[");
    for (i, g) in all.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let state = match g.state {
            State::Runnable => "runnable",
            State::Running => "running",
            _ => "waiting",
        };
        let _ = write!(out, "{{\"id\":{},\"parent\":{},\"root\":{},\"state\":\"{state}\",", g.id, g.parent, g.root);
        out.push_str("\"wait_reason\":");
        match g.wait_reason {
            Some(r) => string(&mut out, r.as_str()),
            None => out.push_str("null"),
        }
        out.push_str(",\"doing\":");
        string(&mut out, g.doing());
        let _ = write!(out, ",\"for_ms\":{},\"spawn_site\":", g.for_how_long.as_millis());
        site(&mut out, Some(g.spawn_site));
        out.push_str(",\"wait_site\":");
        site(&mut out, g.wait_site);
        out.push('}');
    }
    out.push_str("]}\n");
    out
}

fn site(out: &mut String, at: Option<&Location<'_>>) {
    match at {
        Some(at) => {
            out.push_str("{\"file\":");
            string(out, at.file());
            let _ = write!(out, ",\"line\":{},\"column\":{}}}", at.line(), at.column());
        }
        None => out.push_str("null"),
    }
}

/// `s` as a JSON string (RFC 8259: quote, backslash and control
/// characters escaped).
fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    #[test]
    fn strings_are_escaped() {
        let mut out = String::new();
        super::string(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(out, r#""a\"b\\c\nd\u0001é""#);
    }
}

//! The page at `/`: goroutines grouped by what they do and where they were
//! spawned, with counts, refreshing itself every two seconds. Rendered on
//! the server: no script, so it works in any browser and in `curl`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::panic::Location;
use std::time::Duration;

use crate::debug::{GoroutineInfo, Metrics};

/// Goroutines doing the same thing, spawned at the same line.
struct Group {
    doing: &'static str,
    spawn_site: &'static Location<'static>,
    count: usize,
    longest: Duration,
    /// Distinct wait sites, in the order first seen.
    wait_sites: Vec<&'static Location<'static>>,
    /// A few of their ids.
    ids: Vec<u64>,
}

/// Wait sites and ids a group lists before it says "...".
const LISTED: usize = 5;

pub(super) fn render(all: &[GoroutineInfo], m: &Metrics) -> String {
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<(&'static str, &'static Location<'static>), usize> = HashMap::new();
    for g in all {
        let i = *index.entry((g.doing(), g.spawn_site)).or_insert_with(|| {
            groups.push(Group {
                doing: g.doing(),
                spawn_site: g.spawn_site,
                count: 0,
                longest: Duration::ZERO,
                wait_sites: Vec::new(),
                ids: Vec::new(),
            });
            groups.len() - 1
        });
        let group = &mut groups[i];
        group.count += 1;
        group.longest = group.longest.max(g.for_how_long);
        if let Some(site) = g.wait_site {
            if group.wait_sites.len() <= LISTED && !group.wait_sites.contains(&site) {
                group.wait_sites.push(site);
            }
        }
        if group.ids.len() <= LISTED {
            group.ids.push(g.id);
        }
    }
    // Most goroutines first; then by what they do and where, for a page
    // that does not reshuffle between refreshes.
    groups.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(a.doing.cmp(b.doing))
            .then(a.spawn_site.file().cmp(b.spawn_site.file()))
            .then(a.spawn_site.line().cmp(&b.spawn_site.line()))
    });

    let mut out = String::with_capacity(4096 + groups.len() * 256);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"2\">\
         <title>{} goroutines</title><style>{STYLE}</style></head><body>\n\
         <h1>{} goroutines</h1>\n",
        all.len(),
        all.len()
    );
    out.push_str("<table class=\"states\"><tr>");
    for (name, n) in [
        ("running", m.running),
        ("runnable", m.runnable),
        ("waiting", m.waiting),
        ("in a blocking call", m.in_blocking_call),
        ("in IO wait", m.in_io_wait),
    ] {
        let _ = write!(out, "<td><b>{n}</b> {name}</td>");
    }
    let _ = write!(
        out,
        "</tr></table>\n<p class=\"counts\">spawned {} · context switches {} · parks {} · steals {} · \
         workers {} · stacks in use {}, pooled {} · blocking-pool threads {}</p>\n",
        m.spawned_total,
        m.context_switches,
        m.parks,
        m.steals,
        m.workers,
        m.stacks_in_use,
        m.stacks_pooled,
        m.blocking_threads
    );
    out.push_str(
        "<table class=\"groups\"><thead><tr><th>count</th><th>doing</th><th>longest</th>\
         <th>spawned at</th><th>waiting at</th><th>goroutines</th></tr></thead><tbody>\n",
    );
    for g in &groups {
        let _ = write!(
            out,
            "<tr class=\"{}\"><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{:.1?}</td><td>",
            class(g.doing),
            g.count,
            escape(g.doing),
            g.longest
        );
        site(&mut out, g.spawn_site);
        out.push_str("</td><td>");
        for (i, w) in g.wait_sites.iter().take(LISTED).enumerate() {
            if i > 0 {
                out.push_str("<br>");
            }
            site(&mut out, w);
        }
        if g.wait_sites.len() > LISTED {
            out.push_str("<br>…");
        }
        out.push_str("</td><td>");
        for (i, id) in g.ids.iter().take(LISTED).enumerate() {
            let _ = write!(out, "{}{id}", if i > 0 { ", " } else { "" });
        }
        if g.count > LISTED {
            out.push_str(", …");
        }
        out.push_str("</td></tr>\n");
    }
    out.push_str(
        "</tbody></table>\n<p class=\"links\"><a href=\"/debug/goroutines\">full dump</a> · \
         <a href=\"/debug/goroutines?format=json\">JSON</a> · \
         <a href=\"/debug/metrics\">metrics</a> · refreshes every 2 s</p>\n</body></html>\n",
    );
    out
}

fn site(out: &mut String, at: &Location<'_>) {
    let _ = write!(out, "<code>{}:{}:{}</code>", escape(at.file()), at.line(), at.column());
}

/// A row's class, for its colour.
fn class(doing: &str) -> &'static str {
    match doing {
        "running" => "running",
        "runnable" => "runnable",
        "blocking call" => "blocking",
        _ => "waiting",
    }
}

/// `s` safe inside HTML text and attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}\
h1{font-size:1.4em;margin:0 0 .5em}\
table{border-collapse:collapse}\
.states td{padding:.3em 1.2em .3em 0;font-size:1.1em}\
.counts,.links{color:#555}\
.groups{margin-top:1em;width:100%}\
.groups th{text-align:left;border-bottom:2px solid #ccc;padding:.3em .6em}\
.groups td{border-bottom:1px solid #eee;padding:.3em .6em;vertical-align:top}\
.groups td.n{text-align:right;font-variant-numeric:tabular-nums}\
code{font-size:.95em}\
tr.running td:first-child{border-left:4px solid #2a9d4b}\
tr.runnable td:first-child{border-left:4px solid #e0a800}\
tr.waiting td:first-child{border-left:4px solid #3b7dd8}\
tr.blocking td:first-child{border-left:4px solid #c0392b}";

#[cfg(test)]
mod tests {
    #[test]
    fn html_is_escaped() {
        assert_eq!(super::escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }
}

//! The default stack runs ordinary Rust in debug builds.

use std::collections::{BTreeMap, HashMap};

use goroutines_runtime::spawn;

fn depth(n: u32) -> String {
    // A few levels of recursion with formatting and collections on the way.
    let local: Vec<String> = (0..16).map(|i| format!("{n}-{i:>4}-{:?}", [n; 4])).collect();
    if n == 0 {
        return local.join(",");
    }
    let below = depth(n - 1);
    format!("{}|{}", local.len(), below.len())
}

#[test]
fn ordinary_debug_code_fits_the_default_stack() {
    let h = spawn(|| {
        let mut m: HashMap<String, Vec<u64>> = HashMap::new();
        let mut b = BTreeMap::new();
        for i in 0..2000u64 {
            m.entry(format!("key{}", i % 97)).or_default().push(i);
            b.insert(i, format!("{i:08x}"));
        }
        let s = format!("{:?}", b.iter().take(50).collect::<Vec<_>>());
        let r = depth(40);
        (m.len(), s.len() > 100, r.is_empty())
    });
    assert_eq!(h.join().unwrap(), (97, true, false));
}

#[test]
fn a_stack_that_went_deep_is_reused_cleanly() {
    // Deep goroutines end, and their (trimmed) stacks serve new ones.
    for _ in 0..20 {
        let a = spawn(|| depth(200).len());
        assert!(a.join().unwrap() > 0);
        assert_eq!(spawn(|| 1 + 1).join().unwrap(), 2);
    }
}

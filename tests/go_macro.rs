//! What `go!`, `#[goroutines::main]` and `#[goroutines::test]` do: the three
//! forms of `go!`, Go's evaluation order for the call form, spawn sites,
//! panics, and test bodies running as goroutines.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use goroutines::prelude::*;

fn id<T>(x: T) -> T {
    x
}

fn add(a: u64, b: u64) -> u64 {
    a + b
}

mod math {
    pub fn double(x: u64) -> u64 {
        x * 2
    }
}

#[test]
fn call_form_evaluates_arguments_before_spawning() {
    let mut x = 1;
    let h = go!(id(x));
    x = 2;
    assert_eq!(x, 2);
    assert_eq!(h.join().unwrap(), 1);
}

#[test]
fn call_form_takes_paths_and_turbofish() {
    assert_eq!(go!(math::double(21)).join().unwrap(), 42);
    assert_eq!(go!(id::<u8>(7)).join().unwrap(), 7u8);
    assert_eq!(go!(add(1, 2)).join().unwrap(), 3);
    assert_eq!(go!(Some(5)).join().unwrap(), Some(5));
}

/// Go evaluates the function value, then the arguments left to right, once,
/// in the caller; only the call runs in the goroutine.
#[test]
fn call_form_evaluates_callee_and_arguments_once_in_source_order() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let note = |what: &'static str| log.lock().unwrap().push(what);
    let callee = |note: &dyn Fn(&'static str)| {
        note("callee");
        |a: u64, b: u64| a * 10 + b
    };
    let h = go!((callee(&note))(
        {
            note("arg 0");
            4
        },
        {
            note("arg 1");
            2
        }
    ));
    note("after go!");
    assert_eq!(h.join().unwrap(), 42);
    assert_eq!(*log.lock().unwrap(), ["callee", "arg 0", "arg 1", "after go!"]);
}

struct Counter {
    calls: Arc<AtomicUsize>,
    base: u64,
}

impl Counter {
    fn plus(&self, n: u64) -> u64 {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.base + n
    }
}

#[test]
fn method_form_evaluates_receiver_then_arguments_and_calls_in_the_goroutine() {
    let calls = Arc::new(AtomicUsize::new(0));
    let log = Arc::new(Mutex::new(Vec::new()));
    let note = |what: &'static str| log.lock().unwrap().push(what);
    let counter = |base| {
        note("receiver");
        Counter { calls: calls.clone(), base }
    };
    let h = go!(counter(40).plus({
        note("arg");
        2
    }));
    assert_eq!(*log.lock().unwrap(), ["receiver", "arg"]);
    assert_eq!(h.join().unwrap(), 42);
    assert_eq!(calls.load(Ordering::SeqCst), 1, "the method runs once");
}

#[test]
fn method_form_moves_the_receiver_into_the_goroutine() {
    let v = vec![1, 2, 3];
    let h = go!(v.len()); // `v` is moved: the goroutine owns it
    assert_eq!(h.join().unwrap(), 3);

    let words = vec!["a".to_string(), "b".to_string()];
    let h = go!(words.clone().join("+")); // the clone is the receiver
    assert_eq!(h.join().unwrap(), "a+b");
    assert_eq!(words.len(), 2);
}

#[test]
fn call_form_keeps_closure_arguments_for_inference() {
    fn apply(items: Vec<String>, f: impl Fn(&str) -> usize) -> usize {
        items.iter().map(|s| f(s)).sum()
    }
    let extra = 1;
    let items = vec!["ab".to_string(), "cde".to_string()];
    let h = go!(apply(items, |s| s.len() + extra));
    assert_eq!(h.join().unwrap(), 7);
}

/// Arguments whose type comes from the callee's parameters still infer.
#[test]
fn call_form_arguments_infer_their_type_from_the_callee() {
    fn describe(name: String, tags: Vec<u8>, extra: Vec<u32>) -> String {
        format!("{name}:{}:{}", tags.len(), extra.len())
    }
    let h = go!(describe("x".into(), (0..3).collect(), Default::default()));
    assert_eq!(h.join().unwrap(), "x:3:0");
}

/// `go!` inside a `macro_rules!` sees `$e:expr` as an invisible group and
/// still finds the form inside.
#[test]
fn forms_pass_through_macro_rules() {
    macro_rules! spawn_it {
        ($e:expr) => {
            go!($e)
        };
    }
    let mut x = 1;
    let h = spawn_it!(add(x, 1));
    x = 10;
    assert_eq!(h.join().unwrap(), 2);
    assert_eq!(spawn_it!({ x + 1 }).join().unwrap(), 11);
    assert_eq!(spawn_it!(move || x * 2).join().unwrap(), 20);
}

#[test]
fn block_form_moves_captures_and_returns_its_value() {
    let name = String::from("gopher");
    let h = go!({
        let n = name.len();
        format!("{name}:{n}")
    });
    assert_eq!(h.join().unwrap(), "gopher:6");
}

#[test]
fn closure_form_spawns_the_closure_as_is() {
    let v = [1u64, 2, 3];
    let h = go!(move || v.iter().sum::<u64>());
    assert_eq!(h.join().unwrap(), 6);

    let h = go!(|| "no captures");
    assert_eq!(h.join().unwrap(), "no captures");
}

#[test]
fn spawn_site_is_the_line_of_go() {
    let line = line!() + 1;
    let h = go!(id(1));
    assert_eq!(h.spawn_site().line(), line);
    assert_eq!(h.spawn_site().file(), file!());

    let line = line!() + 2;
    #[rustfmt::skip]
    let h = go!({
        2
    });
    assert_eq!(h.spawn_site().line(), line);

    let line = line!() + 1;
    let h = go!(move || 3);
    assert_eq!(h.spawn_site().line(), line);
    h.join().unwrap();

    // The site is where `go!` is written, not where its input starts.
    let line = line!() + 2;
    #[rustfmt::skip]
    let h = go!(
        add(1, 2)
    );
    assert_eq!(h.spawn_site().line(), line);
    h.join().unwrap();
}

#[test]
fn a_panicking_goroutine_makes_join_err_naming_it() {
    let line = line!() + 1;
    let h = go!({
        if true {
            panic!("boom");
        }
    });
    let (id, site) = (h.id(), h.spawn_site());
    let err = h.join().unwrap_err();
    assert_eq!(err.goroutine_id(), id);
    assert_eq!(err.spawn_site(), site);
    assert_eq!(err.spawn_site().line(), line);
    assert_eq!(err.message(), "boom");
}

#[test]
fn the_goroutine_id_inside_matches_the_handle() {
    let h = go!(goroutine_id());
    let id = h.id();
    assert_eq!(h.join().unwrap(), id);
}

#[goroutines::test]
fn test_bodies_run_as_goroutines() {
    assert_ne!(goroutine_id(), 0, "the body has a goroutine id");
    let inner = go!(add(20, 22));
    assert_eq!(inner.join().unwrap(), 42);
}

#[goroutines::test]
fn test_bodies_may_return_result() -> Result<(), String> {
    let n = go!(math::double(2)).join().map_err(|p| p.to_string())?;
    if n == 4 {
        Ok(())
    } else {
        Err(format!("expected 4, got {n}"))
    }
}

/// Doc comments and other attributes come through `#[goroutines::test]`.
#[goroutines::test]
#[should_panic(expected = "inside the goroutine")]
fn should_panic_sees_the_goroutines_panic() {
    panic!("inside the goroutine");
}

#[goroutines::test]
#[ignore = "checks that #[ignore] comes through: this test would fail"]
fn ignore_comes_through() {
    panic!("an ignored test ran");
}

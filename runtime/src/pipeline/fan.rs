//! Fan-in and fan-out as helpers, for pipelines written by hand with `go!`
//! and `chan` (the seed's `merge` and `fanOut`). Each goroutine here ends
//! when its input closes and drains, or at its next send once whoever reads
//! its output is gone. So dropping the receivers a helper returned stops
//! its goroutines as soon as their inputs yield again; one waiting on an
//! input that never sends nor closes waits with it (close the input to
//! stop it: `pipeline!`, which owns its channels, does that for you).

use std::panic::Location;
use std::sync::Arc;

use crate::chan::{chan, Receiver};
use crate::scheduler::{spawn_at, spawn_spread_at};

/// One channel carrying every value of `inputs`, in the order they arrive
/// (Go's fan-in `merge`). It closes once every input has closed and
/// drained. One goroutine per input forwards its values.
///
/// ```
/// use goroutines_runtime::{chan, pipeline::merge};
/// let (a_tx, a) = chan(2);
/// let (b_tx, b) = chan(2);
/// a_tx.send(1).unwrap();
/// b_tx.send(2).unwrap();
/// drop((a_tx, b_tx));
/// let mut all: Vec<i32> = merge([a, b]).iter().collect();
/// all.sort();
/// assert_eq!(all, [1, 2]);
/// ```
#[track_caller]
pub fn merge<T: Send + 'static>(inputs: impl IntoIterator<Item = Receiver<T>>) -> Receiver<T> {
    let site = Location::caller();
    let (tx, out) = chan(super::DEFAULT_BUFFER);
    for input in inputs {
        let tx = tx.clone();
        drop(spawn_at(
            move || {
                for v in &input {
                    if tx.send(v).is_err() {
                        break;
                    }
                }
            },
            site,
        ));
    }
    out
}

/// `n` goroutines taking values from `input` (each value goes to one of
/// them) and sending `f(value)` on a channel of their own (Go's fan-out).
/// Each output closes when `input` has closed and drained. Merge them back
/// with [`merge`].
///
/// # Panics
/// If `n` is 0.
///
/// ```
/// use goroutines_runtime::{chan, pipeline::{fan_out, merge}};
/// let (tx, rx) = chan(8);
/// for i in 1..=8 { tx.send(i).unwrap(); }
/// drop(tx);
/// let outs = fan_out(rx, 3, |v: i32| v * 10);
/// assert_eq!(outs.len(), 3);
/// let mut all: Vec<i32> = merge(outs).iter().collect();
/// all.sort();
/// assert_eq!(all, [10, 20, 30, 40, 50, 60, 70, 80]);
/// ```
#[track_caller]
pub fn fan_out<T, U, F>(input: Receiver<T>, n: usize, f: F) -> Vec<Receiver<U>>
where
    T: Send + 'static,
    U: Send + 'static,
    F: Fn(T) -> U + Send + Sync + 'static,
{
    assert!(n > 0, "fan_out: `n` must be at least 1");
    let site = Location::caller();
    let f = Arc::new(f);
    (0..n)
        .map(|k| {
            let (tx, out) = chan(super::DEFAULT_BUFFER);
            let (input, f) = (input.clone(), f.clone());
            // Spread over the worker threads (scheduler/placement.rs inv. 3).
            drop(spawn_spread_at(
                k,
                move || {
                    for v in &input {
                        if tx.send(f(v)).is_err() {
                            break;
                        }
                    }
                },
                site,
            ));
            out
        })
        .collect()
}

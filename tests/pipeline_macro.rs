//! `pipeline!` as users write it: every stage kind and option, channel
//! sources, failures, and early exits that leave no goroutine behind.

use goroutines::pipeline::PipelineError;
use goroutines::prelude::*;

#[test]
fn stages_and_options() {
    let out: Vec<u64> = pipeline! {
        1..=20u64
        => map(|n| n * n)
        => filter(buffer = 0, |n| n % 2 == 0)
        => filter_map(|n| (n > 10).then_some(n / 2))
        => flat_map(workers = 2, ordered, |n| [n, n + 1])
        => map(workers = 3, ordered, buffer = 8, |n| n + 1)
        => inspect(|n| assert!(*n > 0))
        => try_map(Ok::<u64, String>)
    }
    .collect();
    let want: Vec<u64> = (1..=20u64)
        .map(|n| n * n)
        .filter(|n| n % 2 == 0)
        .filter_map(|n| (n > 10).then_some(n / 2))
        .flat_map(|n| [n, n + 1])
        .map(|n| n + 1)
        .collect();
    assert_eq!(out, want);
}

#[test]
fn a_receiver_is_a_source_used_as_is() {
    let (tx, rx) = chan::<u32>(4);
    go!(move || (0..100).for_each(|i| tx.send(i).unwrap()));
    let sum: u32 = pipeline! { rx => map(|n| n * 2) }.sum();
    assert_eq!(sum, 9900);
}

fn double(n: u32) -> u32 {
    n * 2
}

#[test]
fn a_function_name_is_a_stage_function() {
    let v: Vec<u32> = pipeline! { vec![1, 2, 3] => map(double) }.collect();
    assert_eq!(v, [2, 4, 6]);
}

#[test]
fn wait_reports_the_first_failure_by_stage() {
    let p = pipeline! {
        0..1_000_000u32
        => map(|n| n + 1)
        => try_map(|n| if n == 77 { Err("seventy-seven") } else { Ok(n) })
    };
    let err = p.wait().expect_err("stage 2 fails");
    assert_eq!(err.to_string(), "stage 2 (try_map) failed: seventy-seven");
    assert!(matches!(err, PipelineError::Failed { stage: 2, .. }));

    let p = pipeline! { 0..10u32 => map(|n| if n == 5 { panic!("five") } else { n }) };
    assert_eq!(p.wait().expect_err("stage 1 panics").to_string(), "stage 1 (map) panicked: five");
}

/// On a runtime of its own, so that goroutines of tests running in
/// parallel do not move the count.
#[test]
fn breaking_out_of_the_loop_stops_every_stage() {
    let rt = goroutines::Builder::new().max_procs(2).build().unwrap();
    rt.block_on(|| {
        let before = num_goroutines();
        for (i, v) in pipeline! { 0u64.. => map(workers = 2, |n| n * 2) => filter(|n| n % 3 == 0) }.enumerate() {
            assert_eq!(v % 3, 0);
            if i == 100 {
                break;
            }
        }
        // A hang guard, not a timing assertion.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while num_goroutines() > before && std::time::Instant::now() < deadline {
            sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(num_goroutines(), before, "a stage outlived its pipeline");
    });
}

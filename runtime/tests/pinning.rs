//! A goroutine, once started, runs on one worker thread for life.

use std::cell::Cell;
use std::thread::ThreadId;

use goroutines_runtime::{spawn, yield_now, Builder, WaitGroup};

thread_local! {
    static MARKER: Cell<u8> = const { Cell::new(0) };
}

fn here() -> (ThreadId, usize) {
    (std::thread::current().id(), MARKER.with(|m| m as *const Cell<u8> as usize))
}

#[test]
fn started_goroutine_never_changes_thread() {
    let rt = Builder::new().max_procs(2).build().unwrap();
    rt.block_on(|| {
        // Hundreds of others keep both workers busy and stealing.
        let stop = WaitGroup::new();
        stop.add(1);
        let busy: Vec<_> = (0..300)
            .map(|_| {
                let stop = stop.clone();
                spawn(move || {
                    let mut spins = 0u64;
                    while stop.count() > 0 {
                        spins += 1;
                        yield_now();
                    }
                    spins
                })
            })
            .collect();

        let pinned = spawn(|| {
            let first = here();
            for i in 0..1000 {
                // Block: alternately on a child's join and on a WaitGroup.
                if i % 2 == 0 {
                    spawn(move || i * 2).join().unwrap();
                } else {
                    let wg = WaitGroup::new();
                    wg.add(1);
                    let w = wg.clone();
                    drop(spawn(move || w.done()));
                    wg.wait();
                }
                assert_eq!(here(), first, "goroutine moved after {i} blocks");
            }
        });
        pinned.join().unwrap();
        stop.done();
        for b in busy {
            b.join().unwrap();
        }
    });
}

#[test]
fn rc_held_across_blocking_stays_valid() {
    // An Rc on a goroutine's stack is sound only because the goroutine
    // cannot migrate; this exercises it across many suspensions.
    let h = spawn(|| {
        let rc = std::rc::Rc::new(Cell::new(0u32));
        for _ in 0..100 {
            let r = rc.clone();
            r.set(r.get() + 1);
            spawn(|| ()).join().unwrap();
        }
        rc.get()
    });
    assert_eq!(h.join().unwrap(), 100);
}

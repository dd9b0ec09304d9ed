use goroutines_runtime::*;

#[test]
fn spawn_and_join() {
    let h = spawn(|| 6 * 7);
    assert_eq!(h.join().unwrap(), 42);
}

#[test]
fn many_spawn_waitgroup() {
    Runtime::global().block_on(|| {
        let wg = WaitGroup::new();
        for _ in 0..100_000 {
            wg.add(1);
            let wg = wg.clone();
            drop(spawn(move || wg.done()));
        }
        wg.wait();
    });
}

//! `Context` as users write it with `select!`: `<-ctx.done()` as an arm.

use std::time::Duration;

use goroutines::prelude::*;

#[goroutines::test]
fn a_worker_stops_on_ctx_done_in_select() {
    let (ctx, cancel) = Context::background().with_cancel();
    let (jobs_tx, jobs) = chan::<u32>(0);
    let worker = go!(move || {
        let mut handled = 0;
        loop {
            select! {
                Some(_job) = <-jobs => handled += 1,
                <-ctx.done() => return (handled, ctx.err()),
            }
        }
    });
    for j in 0..3 {
        jobs_tx.send(j).unwrap();
    }
    cancel.cancel();
    let (handled, err) = worker.join().unwrap();
    assert_eq!(handled, 3);
    assert_eq!(err, Some(goroutines::ContextError::Canceled));
}

#[goroutines::test]
fn a_timeout_context_ends_a_select() {
    let (ctx, _cancel) = Context::background().with_timeout(Duration::from_millis(5));
    let (_tx, never) = chan::<u32>(0);
    let why = select! {
        v = <-never => format!("{v:?}"),
        <-ctx.done() => ctx.err().map(|e| e.to_string()).unwrap_or_default(),
    };
    assert_eq!(why, "context deadline exceeded");
}

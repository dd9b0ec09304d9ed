// A guard is a reference to the data: sharing it between threads (Sync)
// would let two threads reach a `Cell` at once, so it is Sync only when
// the data is, as std's guards are.
use std::cell::Cell;

fn assert_sync<T: Sync>() {}

fn main() {
    assert_sync::<goroutines::sync::RwLockWriteGuard<'static, Cell<u8>>>();
}

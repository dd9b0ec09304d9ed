//! Goroutine-aware synchronisation: contenders suspend their goroutine (or
//! park their thread); they never block a worker. Each file states its
//! invariants; the waiting itself is `queue.rs`.

mod mutex;
mod once;
mod pool;
mod queue;
mod rwlock;
mod semaphore;
mod wait_group;

pub use mutex::{Mutex, MutexGuard};
pub use once::Once;
pub use pool::Pool;
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::{Permit, Semaphore};
pub use wait_group::WaitGroup;

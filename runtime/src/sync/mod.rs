//! Goroutine-aware synchronisation: contenders suspend their goroutine (or
//! park their thread); they never block a worker.

mod wait_group;

pub use wait_group::WaitGroup;

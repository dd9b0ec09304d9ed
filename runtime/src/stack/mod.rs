//! Goroutine stacks: guard-paged mappings, their pool and admission limit,
//! and the signal handler that turns an overflow into a message.

mod guarded;
pub(crate) mod overflow;
mod pool;
pub(crate) mod prefetch;

pub(crate) use guarded::GuardedStack;
pub(crate) use pool::{check_size, live_stacks, raise_limit_advice, set_wake_hook, stack_limit, StackPool};

/// Default usable size of a goroutine stack. Virtual: only touched pages are
/// committed, so a parked goroutine that went 3 KiB deep costs one page. 256
/// KiB runs ordinary code in debug builds (formatting, collections, a few
/// levels of recursion: `tests/stack.rs` pins that); raise it with
/// `Builder::stack_size` or `GOROUTINES_STACK_SIZE` for deep recursion.
pub const DEFAULT_STACK_SIZE: usize = 256 * 1024;

/// The largest stack a goroutine may be given: 1 GiB, 4096 times the
/// default. `Builder::build` refuses more, and `GOROUTINES_STACK_SIZE` asking
/// for more is ignored with a warning; every size that becomes an address
/// range (`guarded.rs`) is checked against it.
pub(crate) const MAX_STACK_SIZE: usize = 1 << 30;

//! The synchronisation primitives the channels are built on, from std, or
//! from `loom` when the crate is built with `--cfg loom` (tests/loom.rs), so
//! that loom can explore every interleaving of the channels' wait-queue and
//! hand-off protocol. Under loom only plain threads wait (no goroutines).

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};
#[cfg(loom)]
pub(crate) use loom::thread;

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};
#[cfg(not(loom))]
pub(crate) use std::thread;

/// Where the code relies on SeqCst loads and stores forming one total order
/// (a Dekker handshake), loom needs a `fence(SeqCst)` to see that order: it
/// models SeqCst accesses as AcqRel (loom's README, "Unsupported features").
/// The fence is compiled in under loom only; in the real program the SeqCst
/// accesses give the order by themselves (C11), and a fence would cost a
/// full barrier on a hot path (~9 ns a message here).
#[inline(always)]
pub(crate) fn seqcst_order_for_loom() {
    #[cfg(loom)]
    fence(Ordering::SeqCst);
}

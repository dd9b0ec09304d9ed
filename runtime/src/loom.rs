//! The synchronisation primitives the channels are built on (their lock is
//! `chan/spin_lock.rs`, loom's `Mutex` under loom), from std, or
//! from `loom` when the crate is built with `--cfg loom` (tests/loom.rs), so
//! that loom can explore every interleaving of the channels' wait-queue and
//! hand-off protocol. Under loom only plain threads wait (no goroutines).

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicUsize, Ordering};
/// Thread parking under loom: a token behind loom's Mutex and Condvar.
/// loom's own `unpark` makes a thread runnable from *any* blocked state,
/// including blocked on a Mutex, which then trips loom's lock assertion;
/// std's `unpark` only stores a token there. The channels legitimately
/// unpark a thread that may be taking a lock, so under loom threads park
/// on this parker, which has std's semantics.
#[cfg(loom)]
pub(crate) mod thread {
    use loom::sync::{Arc, Condvar, Mutex};

    pub(crate) use loom::thread::yield_now;

    struct Parker {
        token: Mutex<bool>,
        cv: Condvar,
    }

    /// A thread's parking handle.
    #[derive(Clone)]
    pub(crate) struct Thread(Arc<Parker>);

    loom::thread_local! {
        static ME: Thread = Thread(Arc::new(Parker { token: Mutex::new(false), cv: Condvar::new() }));
    }

    /// The calling thread's handle.
    pub(crate) fn current() -> Thread {
        ME.with(|t| t.clone())
    }

    /// Blocks until the token is set, then consumes it.
    pub(crate) fn park() {
        let me = current();
        let mut token = me.0.token.lock().unwrap();
        while !*token {
            token = me.0.cv.wait(token).unwrap();
        }
        *token = false;
    }

    impl Thread {
        /// Sets the token and wakes the thread if it parks.
        pub(crate) fn unpark(&self) {
            *self.0.token.lock().unwrap() = true;
            self.0.cv.notify_one();
        }

        /// An identity for the thread (the parker's address).
        pub(crate) fn id(&self) -> usize {
            &*self.0 as *const Parker as usize
        }
    }
}

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicUsize, Ordering};
/// Outside loom, a plain thread waits on `thread_parker.rs`'s parker
/// (spin, yield, then sleep), which keeps std's token semantics.
#[cfg(not(loom))]
pub(crate) mod thread {
    pub(crate) use crate::thread_parker::{current, park, Thread};
    pub(crate) use std::thread::yield_now;
}

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

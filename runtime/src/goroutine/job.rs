//! `JobSlot`: the goroutine record's storage for its job (the user's
//! closure and its result slot), with the job's type erased.
//!
//! Records are recycled (a finished record nobody else refers to goes back
//! to its worker's free list, as Go reuses its `g` structs), so the record
//! has one type for every goroutine, and the job lives inside it: inline
//! when it fits `INLINE` bytes (the common case: a closure capturing a few
//! handles), else in a `Box` whose pointer is stored inline.
//!
//! # Invariants
//!
//! 1. `vtable` is `Some` exactly when `storage` holds a live job of the
//!    type the vtable was made for (inline, or boxed behind a pointer).
//! 2. A job is `#[repr(C)]` with a known prefix first (join.rs puts the
//!    outcome there), so a reader who knows only the prefix type can reach
//!    it through `job_ptr` without knowing the closure's type.
//! 3. `put` and `clear` need `&mut` (spawn, recycling, the record's drop);
//!    `run` and `job_ptr` take `&` and rely on the job's own synchronisation.

use std::cell::UnsafeCell;
use std::mem::{align_of, size_of, MaybeUninit};
use std::ptr;

/// Inline capacity, in bytes.
const INLINE: usize = 128;

#[repr(C, align(16))]
struct Storage([MaybeUninit<u8>; INLINE]);

/// Operations on the erased job, one table per (job type, placement).
struct VTable {
    /// Runs the job; see [`Job::run`].
    run: unsafe fn(*const u8),
    /// Drops the job in place (and frees its box, if boxed).
    drop: unsafe fn(*mut u8),
    /// The job's address (inline: the storage; boxed: the box's target).
    job_ptr: unsafe fn(*const u8) -> *const u8,
}

/// A job a goroutine runs.
pub(crate) trait Job: Send + Sync {
    /// Runs the closure and stores its outcome.
    ///
    /// # Safety
    /// Called at most once, by the goroutine itself on its own stack.
    unsafe fn run(&self);
}

struct Inline<J>(J);
struct Boxed<J>(J);

impl<J: Job> Inline<J> {
    const VTABLE: VTable = VTable {
        // SAFETY (all three): invariant 1, `p` is the storage holding a `J`.
        run: |p| unsafe { (*p.cast::<J>()).run() },
        drop: |p| unsafe { ptr::drop_in_place(p.cast::<J>()) },
        job_ptr: |p| p,
    };
}

impl<J: Job> Boxed<J> {
    const VTABLE: VTable = VTable {
        // SAFETY (all three): invariant 1, `p` is the storage holding a
        // `Box<J>`'s pointer.
        run: |p| unsafe { (**p.cast::<*const J>()).run() },
        drop: |p| unsafe { drop(Box::from_raw(*p.cast::<*mut J>())) },
        job_ptr: |p| unsafe { *p.cast::<*const u8>() },
    };
}

pub(crate) struct JobSlot {
    vtable: Option<&'static VTable>,
    storage: UnsafeCell<Storage>,
}

impl JobSlot {
    pub(crate) const fn empty() -> JobSlot {
        JobSlot { vtable: None, storage: UnsafeCell::new(Storage([MaybeUninit::uninit(); INLINE])) }
    }

    /// Stores `job`, dropping any job held before.
    ///
    /// # Safety
    /// The slot forgets `J`'s lifetimes: the caller guarantees that whatever
    /// `job` borrows outlives every later `run`, and that by the time the
    /// slot is cleared or dropped the job holds nothing borrowed any more
    /// (true for `'static` jobs; `scope.rs` argues it for scoped ones).
    pub(crate) unsafe fn put<J: Job>(&mut self, job: J) {
        self.clear();
        let at = self.storage.get_mut().0.as_mut_ptr();
        if size_of::<J>() <= INLINE && align_of::<J>() <= align_of::<Storage>() {
            // SAFETY: the storage is ours (`&mut self`), empty (cleared
            // above), and large and aligned enough for `J`.
            unsafe { at.cast::<J>().write(job) };
            self.vtable = Some(&Inline::<J>::VTABLE);
        } else {
            let boxed = Box::into_raw(Box::new(job));
            // SAFETY: as above, for a pointer, which always fits.
            unsafe { at.cast::<*mut J>().write(boxed) };
            self.vtable = Some(&Boxed::<J>::VTABLE);
        }
    }

    /// Runs the job.
    ///
    /// # Safety
    /// As [`Job::run`]: at most once per `put`, by the goroutine itself.
    pub(crate) unsafe fn run(&self) {
        if let Some(vt) = self.vtable {
            // SAFETY: invariant 1; the caller upholds `Job::run`'s contract.
            unsafe { (vt.run)(self.storage.get().cast::<u8>()) }
        }
    }

    /// The job's address (invariant 2), null when empty.
    pub(crate) fn job_ptr(&self) -> *const u8 {
        match self.vtable {
            // SAFETY: invariant 1.
            Some(vt) => unsafe { (vt.job_ptr)(self.storage.get().cast::<u8>()) },
            None => ptr::null(),
        }
    }

    /// Drops the job, if any.
    pub(crate) fn clear(&mut self) {
        if let Some(vt) = self.vtable.take() {
            // SAFETY: invariant 1, and `&mut self`: nobody else uses it.
            unsafe { (vt.drop)(self.storage.get_mut().0.as_mut_ptr().cast::<u8>()) }
        }
    }
}

impl Drop for JobSlot {
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    struct Counting<const N: usize>(Arc<AtomicUsize>, [u8; N]);
    impl<const N: usize> Job for Counting<N> {
        unsafe fn run(&self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
    impl<const N: usize> Drop for Counting<N> {
        fn drop(&mut self) {
            self.0.fetch_add(100, Ordering::Relaxed);
        }
    }

    #[test]
    fn inline_and_boxed_jobs_run_and_drop_once() {
        let n = Arc::new(AtomicUsize::new(0));
        let mut slot = JobSlot::empty();
        // SAFETY: 'static jobs; each run once, after its put.
        unsafe {
            slot.put(Counting::<8>(n.clone(), [0; 8]));
            slot.run();
            slot.put(Counting::<4096>(n.clone(), [0; 4096])); // drops the first
            slot.run();
        }
        drop(slot);
        assert_eq!(n.load(Ordering::Relaxed), 202);
    }
}

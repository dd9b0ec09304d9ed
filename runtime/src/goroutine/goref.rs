//! `GoRef`: a counted reference to a goroutine record, and where records
//! come from.
//!
//! Records are allocated in slabs of [`SLAB`] and never freed, as Go never
//! frees its `g` structs: when the last reference to a finished record goes,
//! the record is reset and handed back to its runtime's pool for the next
//! spawn. Allocating one at a time cost a `malloc` per goroutine, and worse,
//! glibc grows a thread's arena a page at a time with `mprotect`, which
//! takes the `mmap_lock` the other workers' stack faults need.
//!
//! # Invariants
//!
//! 1. `refs` counts the `GoRef`s to a record. A record whose count is zero
//!    is either in no one's hands for good (its coroutine never ended: it is
//!    leaked, goroutine.rs invariant 5) or about to be reset by the one who
//!    dropped the count to zero, who then owns it.
//! 2. Record memory is never freed, so a `GoRef` can never dangle; the count
//!    only decides who may reset and reuse a record (the holder of the sole
//!    reference).

use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::atomic::Ordering;

use super::Goroutine;
use crate::scheduler::Shared;

/// Records allocated at once when a runtime's pools are empty (about 70 KiB).
const SLAB: usize = 256;

/// The first record of a slab, as a pointer a static may hold.
struct SlabPtr(NonNull<Goroutine>);
// SAFETY: records are Sync and never freed (invariant 2); the pointer is
// only read to visit a slab's records.
unsafe impl Send for SlabPtr {}

/// Every slab ever allocated (never freed), for `debug::goroutines()`.
static SLABS: std::sync::Mutex<Vec<SlabPtr>> = std::sync::Mutex::new(Vec::new());

fn refs_base(refs: &[GoRef]) -> NonNull<Goroutine> {
    refs[0].ptr
}

/// Calls `f` with every goroutine record there is (live or free).
pub(crate) fn for_each_record(mut f: impl FnMut(&Goroutine)) {
    let slabs = SLABS.lock().unwrap_or_else(|e| e.into_inner());
    for slab in slabs.iter() {
        for i in 0..SLAB {
            // SAFETY: a slab is SLAB consecutive records that are never
            // freed (invariant 2); `&Goroutine` is what every GoRef gives.
            f(unsafe { &*slab.0.as_ptr().add(i) });
        }
    }
}

/// A counted reference to a goroutine record. Run queues, waiters, handles
/// and a parked goroutine's park (goroutine.rs invariant 3) hold these.
pub(crate) struct GoRef {
    ptr: NonNull<Goroutine>,
}

// SAFETY: a GoRef gives `&Goroutine`, which is Sync; the count is atomic.
unsafe impl Send for GoRef {}
// SAFETY: as above.
unsafe impl Sync for GoRef {}

impl GoRef {
    /// Allocates a slab of blank records for `runtime`, each with one
    /// reference: the one returned.
    pub(crate) fn alloc_slab(runtime: &'static Shared) -> Vec<GoRef> {
        let slab: Box<[Goroutine]> = (0..SLAB).map(|_| Goroutine::blank(runtime)).collect();
        // Invariant 2: never freed.
        let slab: &'static mut [Goroutine] = Box::leak(slab);
        let refs: Vec<GoRef> = slab.iter_mut().map(|g| GoRef { ptr: NonNull::from(g) }).collect();
        // For a goroutine dump: every record there is (invariant 2).
        SLABS.lock().unwrap_or_else(|e| e.into_inner()).push(SlabPtr(refs_base(&refs)));
        refs
    }

    /// A new reference to the record at `ptr`.
    ///
    /// # Safety
    /// `ptr` points to a record with at least one live `GoRef` for as long as
    /// this call runs (so its count cannot reach zero meanwhile).
    pub(crate) unsafe fn clone_from_ptr(ptr: NonNull<Goroutine>) -> GoRef {
        // SAFETY: records are never freed (invariant 2); the caller keeps it
        // referenced, so incrementing cannot revive a count of zero.
        unsafe { ptr.as_ref() }.refs.fetch_add(1, Ordering::Relaxed);
        GoRef { ptr }
    }

    /// Gives up this reference as a raw pointer (for an atomic slot);
    /// `from_raw` takes it back.
    pub(crate) fn into_raw(self) -> *mut Goroutine {
        let p = self.ptr.as_ptr();
        std::mem::forget(self);
        p
    }

    /// The reference `into_raw` gave up.
    ///
    /// # Safety
    /// `p` came from `into_raw`, and is taken back once.
    pub(crate) unsafe fn from_raw(p: *mut Goroutine) -> GoRef {
        // SAFETY: `into_raw` returned a non-null record pointer whose
        // reference it did not drop; the caller takes it back once.
        GoRef { ptr: unsafe { NonNull::new_unchecked(p) } }
    }

    /// The record, exclusively, if this is its only reference.
    pub(crate) fn get_mut(this: &mut GoRef) -> Option<&mut Goroutine> {
        // Acquire: see everything the holders of the references dropped
        // (Release in `drop`) did to the record.
        if this.refs.load(Ordering::Acquire) == 1 {
            // SAFETY: the only reference is ours, and we hold it mutably.
            Some(unsafe { this.ptr.as_mut() })
        } else {
            None
        }
    }
}

impl Deref for GoRef {
    type Target = Goroutine;
    fn deref(&self) -> &Goroutine {
        // SAFETY: records are never freed (invariant 2).
        unsafe { self.ptr.as_ref() }
    }
}

impl Clone for GoRef {
    fn clone(&self) -> GoRef {
        // Relaxed, as Arc: a new reference is made from an existing one,
        // which already orders it.
        self.refs.fetch_add(1, Ordering::Relaxed);
        GoRef { ptr: self.ptr }
    }
}

impl Drop for GoRef {
    fn drop(&mut self) {
        // Release: our uses of the record happen before whoever resets it.
        if self.refs.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        // Acquire, paired with every earlier holder's Release decrement:
        // their uses of the record happen before the reset. A load rather
        // than `fence(Acquire)`: the same on x86-64, and ThreadSanitizer
        // understands a load but not a fence (std's Arc does the same under
        // TSan), so the sanitizer run checks this hand-over too.
        let _ = self.refs.load(Ordering::Acquire);
        // SAFETY: the count went from one to zero: no reference is left and
        // none can be made (invariant 1), so the record is ours.
        let record = unsafe { self.ptr.as_mut() };
        if record.reset() {
            record.refs.store(1, Ordering::Relaxed);
            record.runtime.give_records(std::iter::once(GoRef { ptr: self.ptr }));
        }
    }
}

//! One goroutine stack: an anonymous mapping with a guard page below it.
//!
//! Layout (addresses grow upwards):
//!
//! ```text
//! lowest                                                        highest
//! | guard page (PROT_NONE) | usable stack (PROT_READ|WRITE) ... | <- base
//! ^ limit                  ^ guard_end
//! ```
//!
//! Stacks are mapped in chunks: one writable mapping for `n` stacks side by
//! side, then each stack's lowest page becomes its guard, in one of two ways:
//!
//! - `madvise(MADV_GUARD_INSTALL)` (Linux 6.13+): a guard marker in the page
//!   tables. No VMA is split and `mmap_lock` is only read-locked, so workers
//!   map stacks in parallel: ~0.7 µs a stack here, and a whole chunk is one
//!   kernel memory map (VMA).
//! - `mprotect(PROT_NONE)` where the kernel lacks guard markers: ~2 µs a
//!   stack, and two VMAs per stack (its usable part and its guard).
//!
//! A stack of its own mapping would cost ~8 µs. `uses_markers` tells the
//! pool (`pool.rs`) which case holds: with guard markers it never unmaps a
//! single stack (that would punch a hole in its chunk, splitting the VMA),
//! it returns the stack's pages instead (`trim_all`), so the maps a process
//! spends on stacks stay one per chunk. Pages are committed by the
//! kernel on first touch; `trim` hands the deep pages back (`MADV_DONTNEED`)
//! when a goroutine that went deep has ended.
//!
//! This is one of the few modules with `unsafe`: it talks to `mmap` and hands
//! corosensei the bounds of memory it will run code on.

use std::io;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};

use corosensei::stack::{Stack, StackPointer};

/// The page size, read once.
pub(crate) fn page_size() -> usize {
    use std::sync::OnceLock;
    static PAGE: OnceLock<usize> = OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: sysconf has no preconditions; it only reads a constant.
        let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if n > 0 && (n as usize).is_power_of_two() {
            n as usize
        } else {
            4096
        }
    })
}

/// `MADV_GUARD_INSTALL` (Linux 6.13); not in the libc crate yet.
const MADV_GUARD_INSTALL: libc::c_int = 102;

/// Whether the kernel refused guard markers (then `mprotect` is used).
/// Relaxed: a hint; both ways are correct.
static NO_GUARD_MARKERS: AtomicBool = AtomicBool::new(false);

/// Whether guards are page-table markers (else `mprotect`ed pages).
pub(crate) fn uses_markers() -> bool {
    !NO_GUARD_MARKERS.load(Ordering::Relaxed)
}

/// A pidfd for this process, for `process_madvise` (negative if the kernel
/// has none).
fn own_pidfd() -> libc::c_int {
    static PIDFD: std::sync::OnceLock<libc::c_int> = std::sync::OnceLock::new();
    // SAFETY: pidfd_open on our own pid has no memory effects; the fd is
    // kept for the life of the process.
    *PIDFD.get_or_init(|| unsafe { libc::syscall(libc::SYS_pidfd_open, libc::getpid(), 0) as libc::c_int })
}

/// Applies `advice` to every range, in as few `process_madvise` calls as
/// the kernel allows (one per 512 ranges: one `mmap_lock` acquisition, one
/// TLB flush), or `madvise` by `madvise` where it does not. `Err` with the
/// first failure.
fn madvise_all(ranges: &[libc::iovec], advice: libc::c_int) -> io::Result<()> {
    static NO_BATCH: AtomicBool = AtomicBool::new(false);
    if !NO_BATCH.load(Ordering::Relaxed) && own_pidfd() >= 0 {
        let mut done = 0;
        for batch in ranges.chunks(512) {
            // SAFETY: the caller passes ranges of mappings it owns and
            // nobody uses, and an advice that only drops contents or adds
            // guard markers.
            let rc = unsafe {
                libc::syscall(libc::SYS_process_madvise, own_pidfd(), batch.as_ptr(), batch.len(), advice, 0)
            };
            if rc < 0 {
                break;
            }
            done += batch.len();
        }
        if done == ranges.len() {
            return Ok(());
        }
        NO_BATCH.store(true, Ordering::Relaxed);
    }
    for r in ranges {
        // SAFETY: as above, one range at a time.
        if unsafe { libc::madvise(r.iov_base, r.iov_len, advice) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Makes the page at each of `addrs` a guard page.
fn install_guards(addrs: &[usize], page: usize) -> io::Result<()> {
    if !NO_GUARD_MARKERS.load(Ordering::Relaxed) {
        let ranges: Vec<libc::iovec> =
            addrs.iter().map(|&a| libc::iovec { iov_base: a as *mut libc::c_void, iov_len: page }).collect();
        match madvise_all(&ranges, MADV_GUARD_INSTALL) {
            Ok(()) => return Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => NO_GUARD_MARKERS.store(true, Ordering::Relaxed),
            Err(e) => return Err(e),
        }
    }
    for &a in addrs {
        // SAFETY: PROT_NONE on a page of a mapping we own and nobody uses.
        if unsafe { libc::mprotect(a as *mut libc::c_void, page, libc::PROT_NONE) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// How much of the top of a stack stays committed across reuse. A returned
/// stack whose goroutine reached deeper than this is trimmed back to it.
pub(crate) const KEEP_COMMITTED: usize = 32 * 1024;

/// An owned, guard-paged stack. Dropping it unmaps it.
pub(crate) struct GuardedStack {
    /// Lowest address of the mapping (start of the guard page).
    limit: usize,
    /// Length of the whole mapping, guard page included.
    len: usize,
    /// Times released since its depth was last checked (see `pool.rs`).
    pub(crate) unchecked_uses: u32,
}

impl GuardedStack {
    /// Maps `n` stacks of `size` usable bytes each (rounded up to whole
    /// pages), each with a guard page below it.
    pub(crate) fn map_chunk(size: usize, n: usize) -> io::Result<Vec<GuardedStack>> {
        let page = page_size();
        let usable = size
            .max(corosensei::stack::MIN_STACK_SIZE)
            .checked_add(page - 1)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "stack size overflows"))?
            & !(page - 1);
        let one = usable + page;
        let total = one
            .checked_mul(n.max(1))
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "stack chunk size overflows"))?;
        // The chunk is reserved PROT_NONE, one page larger, and all but that
        // lowest page made writable. The kernel places a new mapping right
        // below the previous one; a writable chunk would merge into the
        // previous chunk's VMA, and merging write-locks that VMA, waiting for
        // every fault in progress there (the other workers' first touches of
        // their stacks). The PROT_NONE page keeps chunks from merging.
        let reserved = total + page;
        // SAFETY: an anonymous private mapping at an address of the kernel's
        // choosing touches no existing memory. MAP_NORESERVE: pages are
        // committed on touch, so a deep-but-idle stack costs only address space.
        let base = unsafe {
            libc::mmap(
                ptr::null_mut(),
                reserved,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = base as usize + page;
        // SAFETY: [base, base + total) is inside our new, unused reservation.
        let rc = unsafe { libc::mprotect(base as *mut libc::c_void, total, libc::PROT_READ | libc::PROT_WRITE) };
        if rc != 0 {
            let err = io::Error::last_os_error();
            // SAFETY: the whole reservation is ours and unused.
            unsafe { libc::munmap((base - page) as *mut libc::c_void, reserved) };
            return Err(err);
        }
        let n = n.max(1);
        let guards: Vec<usize> = (0..n).map(|i| base + i * one).collect();
        if let Err(err) = install_guards(&guards, page) {
            // SAFETY: the whole reservation is ours and unused.
            unsafe { libc::munmap((base - page) as *mut libc::c_void, reserved) };
            return Err(err);
        }
        Ok(guards.into_iter().map(|limit| GuardedStack { limit, len: one, unchecked_uses: 0 }).collect())
    }

    /// Usable bytes (the guard page excluded).
    pub(crate) fn usable_size(&self) -> usize {
        self.len - page_size()
    }

    /// The guard page's address range `[start, end)`.
    pub(crate) fn guard(&self) -> (usize, usize) {
        (self.limit, self.limit + page_size())
    }

    /// Highest address: the stack grows down from here.
    fn top(&self) -> usize {
        self.limit + self.len
    }

    /// Whether a goroutine that ran on this stack reached deeper than
    /// [`KEEP_COMMITTED`]. Reads a few words just below that depth: frames
    /// leave return addresses and saved registers behind, while pages never
    /// touched (or trimmed) read as zero. A miss only costs memory, never
    /// correctness. Reading an untouched page costs a (zero-page) fault, so
    /// the pool asks only every few uses.
    pub(crate) fn went_deep(&self) -> bool {
        if self.usable_size() <= KEEP_COMMITTED {
            return false;
        }
        let probe_top = self.top() - KEEP_COMMITTED;
        let probe_len = page_size().min(self.usable_size() - KEEP_COMMITTED);
        let words = probe_len / std::mem::size_of::<usize>();
        // 16 words spread over the page below the kept region.
        (0..16).any(|i| {
            let addr = probe_top - (i * words / 16 + 1) * std::mem::size_of::<usize>();
            // Volatile: the value is written by code the compiler cannot see.
            // No coroutine runs on this stack while the pool holds it.
            // SAFETY: `addr` is word-aligned, in the writable part of our own
            // mapping (above the guard page), and nothing writes it now.
            unsafe { ptr::read_volatile(addr as *const usize) != 0 }
        })
    }

    /// Returns every page below the kept top region to the kernel; they read
    /// as zero and are committed again on the next touch.
    pub(crate) fn trim(&self) {
        let start = self.limit + page_size();
        let end = self.top() - KEEP_COMMITTED;
        if end > start {
            // SAFETY: [start, end) is inside our writable mapping and no code
            // runs on this stack now (it is between owners). MADV_DONTNEED on
            // private anonymous memory only drops contents.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED);
            }
        }
    }
}

/// Returns all the pages of `stacks` to the kernel (they read as zero and
/// are committed again on the next touch), in one `process_madvise` call per
/// batch where the kernel allows it, so a batch costs one TLB shootdown
/// rather than one per stack.
pub(crate) fn trim_all(stacks: &[GuardedStack]) {
    let page = page_size();
    let ranges: Vec<libc::iovec> = stacks
        .iter()
        .map(|s| libc::iovec { iov_base: (s.limit + page) as *mut libc::c_void, iov_len: s.len - page })
        .collect();
    // Failure only leaves memory committed; nothing to do about it.
    let _ = madvise_all(&ranges, libc::MADV_DONTNEED);
}

impl Drop for GuardedStack {
    fn drop(&mut self) {
        // SAFETY: we own the whole mapping [limit, limit + len) and no coroutine
        // runs on it (a stack is dropped only from the pool or after its
        // coroutine finished).
        unsafe {
            libc::munmap(self.limit as *mut libc::c_void, self.len);
        }
    }
}

// The Stack contract: a guard page (a guard marker or PROT_NONE) lies below
// a usable region of at least MIN_STACK_SIZE bytes; base and limit are
// page-aligned (so STACK_ALIGNMENT-aligned) and nonzero (mmap never returns
// address 0 for a non-fixed mapping).
// SAFETY: `map_chunk` makes every stack that way.
unsafe impl Stack for GuardedStack {
    fn base(&self) -> StackPointer {
        StackPointer::new(self.top()).expect("mapping is never at address 0")
    }

    fn limit(&self) -> StackPointer {
        StackPointer::new(self.limit).expect("mapping is never at address 0")
    }
}

// SAFETY: a GuardedStack is plain owned memory (like a Box<[u8]>): moving it
// to another thread or sharing &GuardedStack (which only reads its bounds) is
// fine. The pinning rule keeps any *coroutine* running on it on one thread.
unsafe impl Send for GuardedStack {}
// SAFETY: see Send; `&self` methods only read the bounds or the memory of a
// stack nobody runs on.
unsafe impl Sync for GuardedStack {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_stack_is_not_deep_and_trims() {
        let mut chunk = GuardedStack::map_chunk(256 * 1024, 3).unwrap();
        assert_eq!(chunk.len(), 3);
        let s = chunk.pop().unwrap();
        drop(chunk); // unmapping neighbours leaves `s` intact
        assert_eq!(s.usable_size(), 256 * 1024);
        assert!(!s.went_deep());
        // Touch a word well below the kept region.
        let addr = s.top() - KEEP_COMMITTED - 8;
        // SAFETY: inside the writable part of a stack nobody runs on.
        unsafe { ptr::write_volatile(addr as *mut usize, 0xdead_beef) };
        assert!(s.went_deep());
        s.trim();
        assert!(!s.went_deep());
        // SAFETY: as above.
        unsafe { ptr::write_volatile(addr as *mut usize, 1) };
        trim_all(std::slice::from_ref(&s));
        assert!(!s.went_deep());
    }
}

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
//! Stacks are mapped in chunks: one mapping for `n` stacks side by side,
//! writable but for its lowest page (the lowest stack's guard), then each
//! other stack's lowest page becomes its guard, in one of two ways:
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

use super::MAX_STACK_SIZE;

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

/// Bytes one stack of `size` usable bytes spans: its usable part, rounded
/// up to whole pages (and to corosensei's minimum), and its guard page.
/// `Err` above [`MAX_STACK_SIZE`], so that no span, and no chunk of
/// [`MAX_CHUNK`] spans, overflows an address.
pub(crate) fn span(size: usize) -> io::Result<usize> {
    if size > MAX_STACK_SIZE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("a goroutine stack may have at most {MAX_STACK_SIZE} bytes, not {size}"),
        ));
    }
    let page = page_size();
    // At most 1 GiB and a page: no overflow.
    Ok(size.max(corosensei::stack::MIN_STACK_SIZE).next_multiple_of(page) + page)
}

/// The most stacks `map_chunk` maps at once.
pub(crate) const MAX_CHUNK: usize = 64;

impl GuardedStack {
    /// Maps `n` stacks (1 to [`MAX_CHUNK`]) of `size` usable bytes each
    /// (rounded up to whole pages), each with a guard page below it, in one
    /// mapping. `Err` with the OS error if the kernel refuses, or for a size
    /// above [`MAX_STACK_SIZE`].
    pub(crate) fn map_chunk(size: usize, n: usize) -> io::Result<Vec<GuardedStack>> {
        debug_assert!((1..=MAX_CHUNK).contains(&n), "chunk of {n} stacks");
        let n = n.clamp(1, MAX_CHUNK);
        let page = page_size();
        let one = span(size)?;
        // At most 64 spans of 1 GiB and a page: no overflow.
        let total = one * n;
        // The chunk is mapped PROT_NONE, and all but its lowest page (the
        // lowest stack's guard) made writable. The kernel places a new
        // mapping right below the previous one; a writable lowest page would
        // let the next chunk's writable top merge into this chunk's VMA, and
        // merging write-locks that VMA, waiting for every fault in progress
        // there (the other workers' first touches of their stacks). The
        // guard is part of its stack, so unmapping the stack frees it: a
        // chunk whose stacks were all unmapped leaves nothing behind.
        // SAFETY: an anonymous private mapping at an address of the kernel's
        // choosing touches no existing memory. MAP_NORESERVE: pages are
        // committed on touch, so a deep-but-idle stack costs only address space.
        let base = unsafe {
            libc::mmap(
                ptr::null_mut(),
                total,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = base as usize;
        // SAFETY: [base + page, base + total) is inside our new, unused mapping.
        let rc = unsafe {
            libc::mprotect((base + page) as *mut libc::c_void, total - page, libc::PROT_READ | libc::PROT_WRITE)
        };
        if rc != 0 {
            let err = io::Error::last_os_error();
            // SAFETY: the whole mapping is ours and unused.
            unsafe { libc::munmap(base as *mut libc::c_void, total) };
            return Err(err);
        }
        // In the mapping: base + i * one for i < n <= 64.
        let guards: Vec<usize> = (0..n).map(|i| base + i * one).collect();
        if let Err(err) = install_guards(&guards[1..], page) {
            // SAFETY: the whole mapping is ours and unused.
            unsafe { libc::munmap(base as *mut libc::c_void, total) };
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

    /// Whether the kernel can read the byte at `addr` (a write from it to a
    /// pipe fails with EFAULT if it cannot; nothing faults here).
    fn readable(addr: usize) -> bool {
        let mut fds = [0; 2];
        // SAFETY: a fresh pipe; `fds` is a valid out-parameter.
        let rc = unsafe { libc::pipe(fds.as_mut_ptr()) };
        assert_eq!(rc, 0);
        // SAFETY: write(2) checks the source itself: an inaccessible one is
        // EFAULT, not a fault in this process.
        let n = unsafe { libc::write(fds[1], addr as *const libc::c_void, 1) };
        let err = io::Error::last_os_error();
        // SAFETY: closing the pipe we opened.
        unsafe {
            libc::close(fds[0]);
            libc::close(fds[1]);
        }
        assert!(n == 1 || err.raw_os_error() == Some(libc::EFAULT), "{err}");
        n == 1
    }

    #[test]
    fn every_stack_of_a_chunk_has_an_inaccessible_guard_below_it() {
        let mut chunk = GuardedStack::map_chunk(64 * 1024, 4).unwrap();
        let page = page_size();
        for s in &chunk {
            let (start, end) = s.guard();
            assert_eq!(end - start, page);
            assert!(!readable(start) && !readable(end - 1), "guard of the stack at {start:#x}");
            assert!(readable(end) && readable(s.top() - 1));
        }
        // Unmapping the lowest (whose guard is the chunk's PROT_NONE page)
        // and a middle one leaves the others whole.
        let lowest = chunk.iter().position(|s| s.limit == chunk.iter().map(|s| s.limit).min().unwrap()).unwrap();
        drop(chunk.swap_remove(lowest));
        drop(chunk.pop());
        for s in &chunk {
            assert!(!readable(s.guard().0));
            assert!(readable(s.guard().1) && readable(s.top() - 1));
        }
    }

    #[test]
    fn sizes_that_would_overflow_an_address_are_refused() {
        for size in [usize::MAX, usize::MAX - 4095, MAX_STACK_SIZE + 1] {
            let err = GuardedStack::map_chunk(size, 1).err().expect("refused");
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
            assert!(span(size).is_err());
        }
        assert_eq!(span(MAX_STACK_SIZE).unwrap(), MAX_STACK_SIZE + page_size());
        assert_eq!(span(1).unwrap(), corosensei::stack::MIN_STACK_SIZE.next_multiple_of(page_size()) + page_size());
    }

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

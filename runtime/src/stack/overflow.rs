//! Turns a goroutine stack overflow into a message naming the goroutine,
//! instead of a bare SIGSEGV.
//!
//! A SIGSEGV/SIGBUS handler runs on an alternate signal stack (the faulting
//! stack is exhausted). If the faulting address lies in the guard page of the
//! goroutine running on this thread, it writes
//! `goroutine N (spawned at FILE:LINE) has overflowed its stack of S bytes`
//! to stderr and aborts. Any other fault goes to the handler that was
//! installed before ours (Rust's own, which reports main-thread overflows),
//! or, if there was none, to the default action.
//!
//! The handler only reads: a const thread-local (no lazy init, no
//! destructor), the running goroutine's immutable fields, and formats into a
//! buffer on its own stack; then `write(2)` and `abort()`: all
//! async-signal-safe.

use std::fmt::Write as _;
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::atomic::Ordering;
use std::sync::Once;

use super::guarded::page_size;
use crate::goroutine::current;

/// The handlers that were installed before ours, for SIGSEGV and SIGBUS.
struct Previous {
    segv: MaybeUninit<libc::sigaction>,
    bus: MaybeUninit<libc::sigaction>,
}
static mut PREVIOUS: Previous = Previous { segv: MaybeUninit::uninit(), bus: MaybeUninit::uninit() };
static INSTALL: Once = Once::new();

/// Installs the handler, once per process. Called when a runtime starts.
pub(crate) fn install() {
    INSTALL.call_once(|| {
        for sig in [libc::SIGSEGV, libc::SIGBUS] {
            // A zeroed sigaction is a valid "no flags, empty mask" value; the
            // old action is written to PREVIOUS before the new one can run,
            // and nothing reads PREVIOUS until the handler runs.
            // SAFETY: so installing our handler this way is sound.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = handler as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut action.sa_mask);
                let old = if sig == libc::SIGSEGV {
                    ptr::addr_of_mut!(PREVIOUS.segv)
                } else {
                    ptr::addr_of_mut!(PREVIOUS.bus)
                };
                libc::sigaction(sig, &action, (*old).as_mut_ptr());
            }
        }
    });
}

/// Makes sure this (worker) thread has an alternate signal stack, without
/// which the handler could not run on an overflowed stack. Rust's std gives
/// the threads it spawns one when its own handler is installed; this covers
/// the case where it is not. The stack is leaked: workers live forever.
pub(crate) fn prepare_thread() {
    // SAFETY: sigaltstack with a null new stack only reads the current one.
    let mut cur: libc::stack_t = unsafe { std::mem::zeroed() };
    // SAFETY: as above; `cur` is a valid out-parameter.
    unsafe { libc::sigaltstack(ptr::null(), &mut cur) };
    if cur.ss_flags & libc::SS_DISABLE == 0 {
        return;
    }
    let size = (libc::SIGSTKSZ).max(64 * 1024);
    // SAFETY: a fresh anonymous mapping, owned by nobody else.
    let mem = unsafe {
        libc::mmap(
            ptr::null_mut(),
            size,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if mem == libc::MAP_FAILED {
        return; // Overflow then reports as a plain SIGSEGV; nothing worse.
    }
    let stack = libc::stack_t { ss_sp: mem, ss_flags: 0, ss_size: size };
    // SAFETY: `stack` describes the mapping above, which is never unmapped.
    unsafe { libc::sigaltstack(&stack, ptr::null_mut()) };
}

/// A fixed buffer `fmt::Write` can fill without allocating.
struct Buf {
    bytes: [u8; 512],
    len: usize,
}

impl std::fmt::Write for Buf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let n = s.len().min(self.bytes.len() - self.len);
        self.bytes[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
    let addr = unsafe { (*info).si_addr() } as usize;
    let g = current::running_ptr();
    // SAFETY: a non-null running pointer is a record the worker keeps alive
    // while its goroutine runs, and this fault happened while it ran (the
    // slot is cleared only after the coroutine switches out).
    if let Some(g) = g.map(|g| unsafe { g.as_ref() }) {
        let guard = g.guard_page.load(Ordering::Relaxed);
        if guard != 0 && addr >= guard && addr < guard + page_size() {
            let size = g.runtime.stacks.stack_size();
            let mut buf = Buf { bytes: [0; 512], len: 0 };
            let _ = write!(
                buf,
                "\ngoroutine {} (spawned at {}:{}) has overflowed its stack of {} bytes\n\
                 fatal runtime error: stack overflow; raise the stack size with \
                 GOROUTINES_STACK_SIZE or Builder::stack_size\n",
                g.id,
                g.spawn_site.file(),
                g.spawn_site.line(),
                size
            );
            // SAFETY: write(2) and abort(3) are async-signal-safe; the
            // buffer is ours.
            unsafe {
                libc::write(2, buf.bytes.as_ptr().cast(), buf.len);
                libc::abort();
            }
        }
    }
    chain(sig, info, ctx);
}

/// Hands a fault that is not a goroutine overflow to the previous handler.
fn chain(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: PREVIOUS was fully written by `install` before our handler
    // could be invoked, and is never written again.
    let prev = unsafe {
        if sig == libc::SIGSEGV {
            (*ptr::addr_of!(PREVIOUS.segv)).assume_init_ref()
        } else {
            (*ptr::addr_of!(PREVIOUS.bus)).assume_init_ref()
        }
    };
    let h = prev.sa_sigaction;
    if h == libc::SIG_DFL || h == libc::SIG_IGN {
        // Restore the default action and return: the faulting instruction
        // runs again and the kernel applies it (core dump / termination).
        // SAFETY: resetting a signal to SIG_DFL is always valid.
        unsafe {
            let mut dfl: libc::sigaction = std::mem::zeroed();
            dfl.sa_sigaction = libc::SIG_DFL;
            libc::sigaction(sig, &dfl, ptr::null_mut());
        }
    } else if prev.sa_flags & libc::SA_SIGINFO != 0 {
        // SAFETY: the previous handler was installed with SA_SIGINFO, so it
        // has this signature; we pass it the kernel's own arguments.
        let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) = unsafe { std::mem::transmute(h) };
        f(sig, info, ctx);
    } else {
        // SAFETY: a handler installed without SA_SIGINFO takes the signal
        // number only.
        let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(h) };
        f(sig);
    }
}

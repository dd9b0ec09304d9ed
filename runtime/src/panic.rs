//! Panics in goroutines: caught at the goroutine boundary (never unwound
//! across a context switch), reported in Go's terms, handed to `join`.
//!
//! When a runtime starts it installs a panic hook that, for a panic inside a
//! goroutine, prints
//! `goroutine 7 (spawned at src/main.rs:10:5) panicked at src/work.rs:3:9:`
//! and the message (and a backtrace under `RUST_BACKTRACE`), and hands every
//! other panic to the hook that was installed before it. A hook set later
//! replaces it, as hooks do.

use std::any::Any;
use std::fmt;
use std::panic::{self, Location};
use std::sync::{Mutex, Once};

use crate::goroutine::current;
use crate::scheduler::PanicPolicy;

static HOOK: Once = Once::new();

pub(crate) fn install_hook() {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let reported = current::with_running(|g| {
                let g = g?;
                let at = info.location().map(|l| format!(" at {l}")).unwrap_or_default();
                let msg = payload_message(info.payload());
                let bt = std::backtrace::Backtrace::capture();
                let bt = match bt.status() {
                    std::backtrace::BacktraceStatus::Captured => format!("\nstack backtrace:\n{bt}"),
                    _ => {
                        String::from("\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace")
                    }
                };
                eprintln!("goroutine {} (spawned at {}) panicked{at}:\n{msg}{bt}", g.id, g.spawn_site);
                Some(())
            });
            if reported.is_none() {
                previous(info);
            }
        }));
    });
}

/// The text of a panic payload (`panic!`'s message), or a placeholder.
pub(crate) fn payload_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        String::from("Box<dyn Any>")
    }
}

/// Called inside the goroutine whose body panicked: applies the runtime's
/// policy and makes the `Err` its `JoinHandle` will return.
pub(crate) fn caught(payload: Box<dyn Any + Send>) -> Panicked {
    let (id, site, policy) = current::with_running(|g| match g {
        Some(g) => (g.id, g.spawn_site, g.runtime.config.panic_policy),
        None => (0, Location::caller(), PanicPolicy::Catch),
    });
    let message = payload_message(&*payload);
    if policy == PanicPolicy::Abort {
        fatal(&format!("goroutine {id} (spawned at {site}) panicked, and the runtime's panic policy is Abort"));
    }
    Panicked { id, site, message, payload: Mutex::new(Some(payload)) }
}

/// Prints `fatal error: {msg}` and aborts the process.
#[cold]
pub(crate) fn fatal(msg: &str) -> ! {
    eprintln!("fatal error: {msg}");
    std::process::abort()
}

/// A goroutine panicked: what `JoinHandle::join` returns instead of its value.
pub struct Panicked {
    id: u64,
    site: &'static Location<'static>,
    message: String,
    /// In a mutex only so that `Panicked` is `Sync` (and converts into
    /// `Box<dyn Error + Send + Sync>`); taken once by `into_panic`.
    payload: Mutex<Option<Box<dyn Any + Send>>>,
}

impl Panicked {
    /// The id of the goroutine that panicked.
    pub fn goroutine_id(&self) -> u64 {
        self.id
    }

    /// Where that goroutine was spawned.
    pub fn spawn_site(&self) -> &'static Location<'static> {
        self.site
    }

    /// The panic message (`"Box<dyn Any>"` when the payload was not a string).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The panic payload, for `std::panic::resume_unwind`.
    pub fn into_panic(self) -> Box<dyn Any + Send> {
        let message = self.message;
        self.payload.into_inner().unwrap_or_else(|e| e.into_inner()).unwrap_or_else(|| Box::new(message))
    }

    /// Continues the panic on the calling goroutine or thread.
    pub fn resume(self) -> ! {
        panic::resume_unwind(self.into_panic())
    }
}

impl fmt::Display for Panicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "goroutine {} (spawned at {}) panicked: {}", self.id, self.site, self.message)
    }
}

impl fmt::Debug for Panicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Panicked")
            .field("goroutine_id", &self.id)
            .field("spawn_site", &format_args!("{}", self.site))
            .field("message", &self.message)
            .finish()
    }
}

impl std::error::Error for Panicked {}

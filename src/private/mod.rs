//! What the macros expand to (`::goroutines::__private::…`). Not public API:
//! no stability promise.

mod entry;
mod go_arg;
pub mod pipeline;
mod select;

pub use entry::{run_main, run_test, EntryReturn, ErrorReport};
pub use go_arg::{go_arg, GoArg, SendToGoroutine};
pub use goroutines_runtime::{spawn, Receiver, Select, SelectedOperation, SendError, Sender};
pub use select::*;

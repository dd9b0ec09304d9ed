//! `select!`: waits on several channel operations, Go's arrows.
//!
//! `parse` reads the arms as written (keeping malformed ones' errors),
//! `valid` rejects what is not a channel operation or would lose a value
//! and sorts the rest, `expand` builds the runtime `Select` from them.

mod expand;
mod parse;
mod valid;

use proc_macro2::TokenStream;

/// The error for an arm that is not a channel operation.
const ARM_FORMS: &str = "select! arms are `pat = <-rx`, `<-rx`, `tx <- value` or `default`";

/// The whole `select!` macro.
pub(crate) fn select(input: TokenStream) -> TokenStream {
    let select = parse::parse(input);
    match valid::check(&select) {
        (plan, None) => expand::expand(&plan),
        (plan, Some(err)) => expand::fallback(&plan, err),
    }
}

//! `go!`: starts a goroutine from a call, a block or a closure.
//!
//! `parse` reads the input into a [`Go`](parse::Go) that keeps the user's
//! syntax, `valid` rejects what cannot run as a goroutine, `expand` writes
//! the `::goroutines::__private::spawn` call.

mod expand;
mod parse;
mod valid;

use proc_macro2::TokenStream;

/// The whole `go!` macro: `go!(f(x))`, `go!({ ... })`, `go!(move || ...)`.
pub(crate) fn go(input: TokenStream) -> TokenStream {
    let go = match parse::parse(input) {
        Ok(go) => go,
        Err(err) => return expand::fallback(err),
    };
    match valid::check(&go) {
        Ok(()) => expand::expand(&go),
        Err(err) => expand::fallback(err),
    }
}

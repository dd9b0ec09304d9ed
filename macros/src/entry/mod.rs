//! `#[goroutines::main]` and `#[goroutines::test]`: run a fn's body as a
//! goroutine of the global runtime.
//!
//! `parse` reads the attribute and the item, `valid` collects every mistake,
//! `expand` writes the fn that hands its body to `__private::run_main` or
//! `__private::run_test`.

mod expand;
mod parse;
mod valid;

use proc_macro2::TokenStream;

/// Which attribute is being expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Main,
    Test,
}

impl Kind {
    /// The attribute as users write it, for messages.
    pub(crate) fn attr(self) -> &'static str {
        match self {
            Kind::Main => "#[goroutines::main]",
            Kind::Test => "#[goroutines::test]",
        }
    }
}

/// The whole attribute macro: `args` are the attribute's arguments, `item`
/// the item it is on.
pub(crate) fn entry(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let entry = match parse::parse(kind, args, item.clone()) {
        Ok(entry) => entry,
        Err(err) => {
            // Not even an item: give it back as it was, with the error.
            let err = err.to_compile_error();
            return quote::quote!(#err #item);
        }
    };
    match valid::check(&entry) {
        Ok(()) => expand::expand(&entry),
        Err(err) => expand::fallback(&entry, err),
    }
}

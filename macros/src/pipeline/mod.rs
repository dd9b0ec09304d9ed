//! `pipeline!`: a source, then stages joined by `=>`.
//!
//! `parse` reads the source and the stages as written (a malformed stage
//! keeps its error and the parse goes on), `valid` checks stage names and
//! options and settles each stage's options, `expand` writes the chain of
//! builder calls the runtime's `pipeline` module provides.

mod expand;
mod parse;
mod valid;

use proc_macro2::TokenStream;

/// The stages `pipeline!` knows.
const STAGES: &[&str] = &["map", "filter", "filter_map", "flat_map", "try_map", "inspect"];

/// The whole `pipeline!` macro.
pub(crate) fn pipeline(input: TokenStream) -> TokenStream {
    let pipeline = parse::parse(input);
    match valid::check(&pipeline) {
        Ok(plan) => expand::expand(&plan),
        Err(err) => {
            // In braces: several `compile_error!`s side by side are only
            // valid as statements.
            let errors = err.to_compile_error();
            quote::quote!({ #errors })
        }
    }
}

//! `#[worker_pool(workers = N, buffer = M)]` on `fn name(job: J) -> R`:
//! keeps the function and adds a module `name` with `start()` and `run()`.
//!
//! `parse` reads the options and the item as written, `valid` checks that
//! the item is a function the pool can call (free, not async, not generic,
//! one job parameter) and the options, `expand` writes the module.

mod expand;
mod parse;
mod valid;

use proc_macro2::TokenStream;

pub(crate) fn worker_pool(attr: TokenStream, item: TokenStream) -> TokenStream {
    let input = parse::parse(attr, item);
    match valid::check(&input) {
        Ok(plan) => expand::expand(&plan),
        Err(err) => {
            // Keep the item, so its own code is still checked and used.
            let err = err.to_compile_error();
            let item = &input.item;
            quote::quote!(#err #item)
        }
    }
}

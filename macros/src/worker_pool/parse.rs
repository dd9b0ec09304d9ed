//! Reads `#[worker_pool(...)]`'s options and the item it is on.

use proc_macro2::TokenStream;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Error, Expr, Ident, Item, Token};

pub(crate) struct Input {
    pub options: Vec<Opt>,
    /// The item, as written (also when it is not a function).
    pub item: TokenStream,
    /// The item parsed, if it is one.
    pub parsed: Result<Item, Error>,
    pub errors: Vec<Error>,
}

/// `key = value`, or a bare `key` (an error `valid` reports).
pub(crate) struct Opt {
    pub key: Ident,
    pub value: Option<Expr>,
}

pub(crate) fn parse(attr: TokenStream, item: TokenStream) -> Input {
    let mut errors = Vec::new();
    let parse_opt = |input: ParseStream| -> syn::Result<Opt> {
        let key: Ident = input.parse()?;
        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            Some(input.parse()?)
        } else {
            None
        };
        Ok(Opt { key, value })
    };
    let parser = |input: ParseStream| Punctuated::<Opt, Token![,]>::parse_terminated_with(input, parse_opt);
    let options = match parser.parse2(attr) {
        Ok(opts) => opts.into_iter().collect(),
        Err(err) => {
            errors.push(Error::new(
                err.span(),
                format!("{err}; write `#[worker_pool(workers = N, buffer = M)]` (both optional)"),
            ));
            Vec::new()
        }
    };
    let parsed = syn::parse2::<Item>(item.clone());
    Input { options, item, parsed, errors }
}

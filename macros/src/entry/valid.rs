//! Collects every mistake in a `#[goroutines::main]` / `#[goroutines::test]`
//! item, each spanned on the offending tokens.

use syn::{Error, ItemFn};

use super::parse::{Entry, EntryItem};
use super::Kind;
use crate::errors::Errors;

/// Checks the attribute's arguments and the fn; all errors are combined.
pub(crate) fn check(entry: &Entry) -> syn::Result<()> {
    let attr = entry.kind.attr();
    let mut errors = Errors::default();
    if !entry.args.is_empty() {
        errors.push(Error::new_spanned(
            &entry.args,
            format!("{attr} takes no arguments (none are supported yet): remove them"),
        ));
    }
    match &entry.item {
        EntryItem::Fn(f) => check_fn(entry.kind, f, &mut errors),
        EntryItem::Other(item) => errors.push(Error::new_spanned(
            item,
            match entry.kind {
                Kind::Main => format!("{attr} goes on the `main` fn: `fn main() {{ ... }}`"),
                Kind::Test => format!("{attr} goes on a test fn: `fn name() {{ ... }}`"),
            },
        )),
    }
    errors.into_error().map_or(Ok(()), Err)
}

fn check_fn(kind: Kind, f: &ItemFn, errors: &mut Errors) {
    let attr = kind.attr();
    if let Some(asyncness) = &f.sig.asyncness {
        errors.push(Error::new_spanned(
            asyncness,
            format!("goroutines are not async: remove `async`; under {attr} the body runs as a goroutine and blocks cheaply without `.await`"),
        ));
    }
    if !f.sig.inputs.is_empty() {
        errors.push(Error::new_spanned(
            &f.sig.inputs,
            match kind {
                Kind::Main => {
                    format!("{attr} takes a fn without arguments: main receives nothing; read std::env::args() inside")
                }
                Kind::Test => {
                    format!("{attr} takes a fn without arguments: a test receives nothing; build its inputs inside")
                }
            },
        ));
    }
    if let Some(variadic) = &f.sig.variadic {
        errors.push(Error::new_spanned(variadic, format!("{attr} takes a fn without arguments: remove `...`")));
    }
    if kind == Kind::Test {
        for test in f.attrs.iter().filter(|a| a.path().is_ident("test")) {
            errors.push(Error::new_spanned(test, format!("remove this `#[test]`: {attr} already makes the fn a test")));
        }
    }
}

//! Writes the fn whose body runs as a goroutine:
//! `fn main() { ::goroutines::__private::run_main(move || { body }) }`,
//! and for tests the same with `#[test]` and `run_test`.
//!
//! With a return type `T`: `fn main() -> impl Termination {
//! run_main(move || -> T { body }) }`. The body's value crosses from the
//! goroutine to the waiting thread, and `Box<dyn Error>` is not `Send`, so
//! `run_main` converts it inside the goroutine into a `Send` value that ends
//! the program the same way (`EntryReturn`, in the facade).

use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::punctuated::Punctuated;
use syn::{AttrStyle, Error, FnArg, ItemFn, ReturnType};

use super::parse::{Entry, EntryItem};
use super::Kind;
use crate::span;

/// The expansion of a valid entry.
pub(crate) fn expand(entry: &Entry) -> TokenStream {
    match &entry.item {
        EntryItem::Fn(f) => wrap(entry.kind, f, f.block.to_token_stream()),
        EntryItem::Other(item) => item.to_token_stream(),
    }
}

/// The expansion when the entry is wrong: the errors, and the fn wrapped as
/// far as it can be, so that rustc does not add errors of its own (`main`
/// has the wrong type, `.await` outside `async`, unknown argument names).
pub(crate) fn fallback(entry: &Entry, err: Error) -> TokenStream {
    let err = err.to_compile_error();
    let item = match &entry.item {
        EntryItem::Fn(f) => wrap(entry.kind, f, fallback_body(f)),
        EntryItem::Other(item) => item.to_token_stream(),
    };
    quote!(#err #item)
}

/// `f` without `async` or arguments, its body handed to the runtime.
fn wrap(kind: Kind, f: &ItemFn, body: TokenStream) -> TokenStream {
    let ItemFn { attrs, vis, sig, block: _ } = f;
    // Inner attributes (`#![allow(..)]` in the body) stay inner; a
    // `#[test]` the user added is rejected by validation and dropped here.
    let inner = attrs.iter().filter(|a| matches!(a.style, AttrStyle::Inner(_)));
    let outer = attrs
        .iter()
        .filter(|a| matches!(a.style, AttrStyle::Outer) && !(kind == Kind::Test && a.path().is_ident("test")));
    let mut sig = sig.clone();
    sig.asyncness = None;
    sig.inputs = Punctuated::new();
    sig.variadic = None;
    let ret = closure_return(&sig.output);
    // `run_main`/`run_test` are `#[track_caller]`: with the attribute's
    // hygiene, the goroutine's spawn site is the attribute. The call is
    // located on the return type, which the runtime requires to be `Send`,
    // so rustc's error for a `Box<dyn Error>` return points at it.
    let (first, last) = match &sig.output {
        ReturnType::Type(_, ty) => span::ends(ty),
        ReturnType::Default => span::ends(&sig.ident),
    };
    let (first, last) = (Span::call_site().located_at(first), Span::call_site().located_at(last));
    let run = Ident::new(
        match kind {
            Kind::Main => "run_main",
            Kind::Test => "run_test",
        },
        last,
    );
    // No return type: say `()`, or a body that only panics (a
    // `#[should_panic]` test) would leave `T` to never-type fallback.
    let unit = matches!(sig.output, ReturnType::Default).then(|| quote!(::<_, ()>));
    let run = quote_spanned!(first=> ::goroutines::__private::#run #unit);
    if let ReturnType::Type(arrow, _) = &sig.output {
        sig.output = syn::parse_quote_spanned!(first=> #arrow impl ::std::process::Termination);
    }
    let closure = quote!(move || #ret #body);
    let mut call = Group::new(Delimiter::Parenthesis, closure);
    call.set_span(last);
    // The full path: a `use goroutines::test;` in scope must not turn this
    // into a recursive expansion of ourselves.
    let test = (kind == Kind::Test).then(|| quote!(#[::core::prelude::v1::test]));
    quote! {
        #test
        #(#outer)*
        #vis #sig {
            #(#inner)*
            #run #call
        }
    }
}

/// `-> T` for the body's closure, so that `?` and `return` in the body see
/// the fn's return type; nothing when there is none, or when it names
/// `impl Trait` (not allowed on a closure).
fn closure_return(output: &ReturnType) -> TokenStream {
    match output {
        ReturnType::Type(_, ty) if !mentions_impl(ty.to_token_stream()) => output.to_token_stream(),
        _ => TokenStream::new(),
    }
}

fn mentions_impl(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tt| match tt {
        TokenTree::Ident(ident) => ident == "impl",
        TokenTree::Group(group) => mentions_impl(group.stream()),
        _ => false,
    })
}

/// The body of a fn that validation rejected for its arguments or `async`,
/// kept where its names still resolve: inside a closure taking the
/// arguments and/or an `async` block, built and never run.
fn fallback_body(f: &ItemFn) -> TokenStream {
    let block = &f.block;
    if f.sig.inputs.is_empty() && f.sig.asyncness.is_none() {
        return block.to_token_stream();
    }
    let body = match f.sig.asyncness {
        Some(_) => quote!(async move #block),
        None => {
            let ret = closure_return(&f.sig.output);
            quote!(#ret #block)
        }
    };
    let kept = if f.sig.inputs.is_empty() {
        body
    } else {
        let args = f.sig.inputs.iter().filter(|arg| matches!(arg, FnArg::Typed(_)));
        quote!(|#(#args),*| #body)
    };
    quote!({
        let _ = #kept;
        ::core::unreachable!()
    })
}

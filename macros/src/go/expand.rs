//! Writes the `::goroutines::__private::spawn` call for each form of `go!`.
//!
//! `spawn` is `#[track_caller]`, and rustc reports the location of a call
//! written by a macro (one whose span has the macro's hygiene) as the
//! place of the macro's invocation: the spawn site is the user's `go!`.
//! The `spawn` call keeps `Span::call_site()`'s hygiene for that, but is
//! *located* on the user's tokens (`Span::located_at`), so that rustc's
//! errors about its bounds point at what the user wrote, not at all of
//! `go!(...)`.

use proc_macro2::{Delimiter, Group, Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, Token};

use super::parse::{Call, Callee, Go};
use crate::span;

/// The expansion of a valid `go!`.
pub(crate) fn expand(go: &Go) -> TokenStream {
    match go {
        Go::Call(call) => expand_call(call),
        Go::Block(block) => {
            // `move ||` takes the block's place, so "value moved into
            // closure here" points at the user's block.
            let ends = span::ends(block);
            let closure = quote_spanned!(Span::call_site().located_at(ends.0)=> move || #block);
            spawn(closure, ends)
        }
        Go::Closure(closure) => spawn(closure.to_token_stream(), span::ends(closure)),
        // Rejected by validation; still something that type-checks.
        Go::Empty { .. } | Go::Other(_) => placeholder(),
    }
}

/// The expansion when `go!` is wrong: the error, and a goroutine that
/// type-checks as any `JoinHandle<T>`, so the code around `go!` does not
/// report errors of its own.
pub(crate) fn fallback(err: syn::Error) -> TokenStream {
    let err = err.to_compile_error();
    let placeholder = placeholder();
    quote! {{ #err #placeholder }}
}

/// `spawn(|| unreachable!())`: a handle of any type, never run.
fn placeholder() -> TokenStream {
    let here = Span::call_site();
    spawn(quote!(|| ::core::unreachable!()), (here, here))
}

/// `::goroutines::__private::spawn(closure)`, spread over the user's
/// tokens from `ends.0` to `ends.1` with the hygiene of the `go!` call site.
fn spawn(closure: TokenStream, ends: (Span, Span)) -> TokenStream {
    let first = Span::call_site().located_at(ends.0);
    let last = Span::call_site().located_at(ends.1);
    let spawn = Ident::new("spawn", last);
    let mut args = Group::new(Delimiter::Parenthesis, closure);
    args.set_span(last);
    quote_spanned!(first=> ::goroutines::__private::#spawn #args)
}

/// The call form, Go's `go f(x)`:
///
/// ```text
/// {
///     let __go_fn = go_arg(callee);       // unless a path or a closure literal
///     let __go_recv = go_arg(receiver);   // method calls
///     let __go_arg0 = go_arg(a);          // each argument, left to right
///     spawn(move || (__go_fn.into_inner())(__go_arg0.into_inner(), ..))
/// }
/// ```
///
/// Everything is evaluated in the caller, once, in source order; only the
/// call runs in the goroutine. `__private::go_arg` checks each value is
/// `Send` and reports it at the user's expression with a message that says
/// what to do (its `GoArg` wrapper keeps `spawn` from reporting it again).
/// The locals are hygienic (`mixed_site`) and located at the expression they
/// hold, so errors about them point at the user's tokens.
///
/// A closure literal (as the callee or an argument) is left in place:
/// building it has no effect, what it captures is moved in when the
/// goroutine is spawned, and inside the call its parameter types are
/// inferred from the callee.
fn expand_call(call: &Call) -> TokenStream {
    let mut lets = TokenStream::new();
    let mut target = match &call.callee {
        Callee::Path(path) => path.to_token_stream(),
        Callee::Expr(func) => {
            let func = evaluate_now(&mut lets, "__go_fn", without_parens(func));
            quote!((#func))
        }
        Callee::Method { receiver, dot, method, turbofish } => {
            let receiver = evaluate_now(&mut lets, "__go_recv", receiver);
            quote!(#receiver #dot #method #turbofish)
        }
    };
    let mut args = Punctuated::<TokenStream, Token![,]>::new();
    for (i, arg) in call.args.iter().enumerate() {
        args.push(evaluate_now(&mut lets, &format!("__go_arg{i}"), arg));
    }
    call.paren.surround(&mut target, |tokens| args.to_tokens(tokens));
    // "within this closure" in rustc's errors points at the user's call.
    let closure = quote_spanned!(Span::call_site().located_at(call.ends.0)=> move || #target);
    let spawned = spawn(closure, call.ends);
    quote! {{ #lets #spawned }}
}

/// Evaluates `expr` now: pushes `let name = go_arg(expr);` onto `lets` and
/// returns `name.into_inner()`, which takes the value inside the goroutine.
/// A closure literal is returned as is.
///
/// The `go_arg(..)` call is spread over the user's tokens (path at the
/// first, parentheses at the last): rustc's error for its failed bound then
/// marks the user's expression alone, without a second label for the call.
fn evaluate_now(lets: &mut TokenStream, name: &str, expr: &Expr) -> TokenStream {
    if is_closure_literal(expr) {
        return expr.to_token_stream();
    }
    let (first, last) = span::ends(expr);
    let local = Ident::new(name, Span::mixed_site().located_at(first));
    // The call to `go_arg` is located, and resolved, like the user's tokens:
    // a span with the macro's hygiene would differ from the argument's, and
    // rustc would add a second label ("required by a bound introduced by
    // this call") under the same tokens.
    let go_arg = Ident::new("go_arg", last);
    let mut parens = Group::new(Delimiter::Parenthesis, expr.to_token_stream());
    parens.set_span(last);
    let check = quote_spanned!(first=> ::goroutines::__private::#go_arg #parens);
    let here = Span::call_site().located_at(first);
    lets.extend(quote_spanned!(here=> let #local = #check;));
    quote_spanned!(here=> #local.into_inner())
}

/// `expr` for `(expr)`: the parentheses a callee needs in `(expr)(a)` are
/// noise in `let __go_fn = go_arg(expr);`.
fn without_parens(expr: &Expr) -> &Expr {
    match expr {
        Expr::Paren(paren) => without_parens(&paren.expr),
        _ => expr,
    }
}

/// `|x| ..`, `move || ..`, also in parentheses.
fn is_closure_literal(expr: &Expr) -> bool {
    match expr {
        Expr::Closure(_) => true,
        Expr::Paren(paren) => is_closure_literal(&paren.expr),
        Expr::Group(group) => is_closure_literal(&group.expr),
        _ => false,
    }
}

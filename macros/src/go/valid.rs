//! Rejects `go!` inputs that cannot run as a goroutine, saying which form
//! to write instead.

use quote::ToTokens;
use syn::{Error, Expr, ExprClosure};

use super::parse::Go;

const FORMS: &str = "a call `go!(f(x))`, a block `go!({ ... })`, or a closure `go!(move || ...)`";

/// Checks that `go` is one of the three forms, spanned on what is wrong.
pub(crate) fn check(go: &Go) -> syn::Result<()> {
    match go {
        Go::Empty { span } => Err(Error::new(*span, format!("go! needs something to run: {FORMS}"))),
        Go::Call(_) | Go::Block(_) => Ok(()),
        Go::Closure(closure) => check_closure(closure),
        Go::Other(expr) => Err(not_a_form(expr)),
    }
}

/// A goroutine's closure is called with nothing and is not `async`.
fn check_closure(closure: &ExprClosure) -> syn::Result<()> {
    if let Some(asyncness) = &closure.asyncness {
        return Err(Error::new_spanned(
            asyncness,
            "goroutines are not async: remove `async`, the goroutine blocks cheaply without `.await`",
        ));
    }
    if !closure.inputs.is_empty() {
        return Err(Error::new_spanned(
            &closure.inputs,
            "a goroutine's closure takes no arguments: remove the parameters and move the values in, \
             or use the call form `go!(f(x))`",
        ));
    }
    Ok(())
}

/// The error for an expression that is none of the three forms, with the
/// fix for the mistakes people actually make.
fn not_a_form(expr: &Expr) -> Error {
    match expr {
        Expr::Path(path) => {
            let name = path_text(path);
            Error::new_spanned(
                path,
                format!("go! expects {FORMS}, found the path `{name}`: to run it, call it: `go!({name}())`"),
            )
        }
        Expr::Macro(mac) => {
            let name = mac.mac.path.segments.last().map_or_else(String::new, |s| s.ident.to_string());
            Error::new_spanned(
                mac,
                format!("go! cannot spawn a macro call directly: wrap it in a block, `go!({{ {name}!(...) }})`"),
            )
        }
        Expr::Await(expr) => Error::new_spanned(
            expr,
            "goroutines are not async: remove `.await`; `go!(f(x))` runs the call in a goroutine",
        ),
        Expr::Async(expr) => Error::new_spanned(
            expr.async_token,
            "goroutines are not async: remove `async` and spawn the block, `go!({ ... })`",
        ),
        _ => Error::new_spanned(expr, format!("go! expects {FORMS}")),
    }
}

/// `a::b::<T>` as written, without the spaces `to_token_stream` puts in
/// (kept as printed when the path has a `<T as Trait>` part).
fn path_text(path: &syn::ExprPath) -> String {
    let text = path.to_token_stream().to_string();
    if path.qself.is_some() {
        return text;
    }
    text.replace(' ', "")
}

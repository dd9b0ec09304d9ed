//! Reads the input of `go!` into the form it was written in.
//!
//! Parsing fails only on tokens that are not one expression; whether the
//! expression can run as a goroutine is `valid`'s question.

use proc_macro2::{Span, TokenStream};
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{token, AngleBracketedGenericArguments, Expr, ExprClosure, ExprPath, Ident, Token};

use crate::span;

/// What `go!` was given.
pub(crate) enum Go {
    /// `go!()`: nothing to run. `span` is the macro call's.
    Empty { span: Span },
    /// `go!(f(a, b))`, `go!(obj.method(a))`, `go!((expr)(a))`.
    Call(Call),
    /// `go!({ ... })` or `go!(unsafe { ... })`: an `Expr::Block` or
    /// `Expr::Unsafe`, run as the body of a `move` closure.
    Block(Expr),
    /// `go!(move || ...)` or `go!(|| ...)`: spawned as written.
    Closure(ExprClosure),
    /// Any other expression; validation rejects it.
    Other(Expr),
}

/// The call form: a callee and its arguments.
pub(crate) struct Call {
    /// The first and last tokens of the call as written.
    pub ends: (Span, Span),
    pub callee: Callee,
    /// The parentheses around the arguments, kept for their spans.
    pub paren: token::Paren,
    pub args: Punctuated<Expr, Token![,]>,
}

/// What is called in the call form.
pub(crate) enum Callee {
    /// `f`, `path::to::f::<u8>`, `Type::assoc`: named inside the goroutine
    /// (a path has no state to evaluate early).
    Path(ExprPath),
    /// `(expr)`: any other callee expression, evaluated in the caller.
    Expr(Box<Expr>),
    /// `receiver.method::<T>`: the receiver is evaluated in the caller and
    /// moved into the goroutine.
    Method { receiver: Box<Expr>, dot: Token![.], method: Ident, turbofish: Option<AngleBracketedGenericArguments> },
}

/// Parses `go!`'s input: nothing, or exactly one expression.
pub(crate) fn parse(input: TokenStream) -> syn::Result<Go> {
    let parser = |input: ParseStream| {
        if input.is_empty() {
            return Ok(Go::Empty { span: Span::call_site() });
        }
        let expr: Expr = input.parse()?;
        if !input.is_empty() {
            let rest: TokenStream = input.parse()?;
            return Err(syn::Error::new_spanned(
                rest,
                "go! takes one thing to run: remove these tokens, or wrap several statements in a block `go!({ ... })`",
            ));
        }
        Ok(classify(expr))
    };
    parser.parse2(input)
}

/// Sorts an expression into a form of `go!`, looking through parentheses
/// and the invisible groups a `macro_rules!` `$e:expr` leaves.
fn classify(expr: Expr) -> Go {
    let ends = span::ends(&expr);
    match expr {
        Expr::Paren(paren) => classify(*paren.expr),
        Expr::Group(group) => classify(*group.expr),
        Expr::Call(call) => {
            let callee = match *call.func {
                Expr::Path(path) => Callee::Path(path),
                func => Callee::Expr(Box::new(func)),
            };
            Go::Call(Call { ends, callee, paren: call.paren_token, args: call.args })
        }
        Expr::MethodCall(call) => Go::Call(Call {
            ends,
            callee: Callee::Method {
                receiver: call.receiver,
                dot: call.dot_token,
                method: call.method,
                turbofish: call.turbofish,
            },
            paren: call.paren_token,
            args: call.args,
        }),
        block @ (Expr::Block(_) | Expr::Unsafe(_)) => Go::Block(block),
        Expr::Closure(closure) => Go::Closure(closure),
        other => Go::Other(other),
    }
}

//! Checks the arms of `select!` and sorts each valid one into the operation
//! `expand` writes; every mistake is collected, spanned on the smallest
//! offending node.
//!
//! The one rule that is not syntax: a receive arm's pattern may refuse a
//! value only by refusing `None` (`Some(v) = <-rx`), which the runtime
//! reports only when the channel is closed; the arm is then disabled. A
//! pattern that could refuse a received value (`Some(3) = <-rx`) is an
//! error, since that value, taken from the channel, would be lost.

use syn::{Error, Expr, Pat, PatIdent};

use super::parse::{Arm, Arrow, Binding, Head, Select};
use super::ARM_FORMS;
use crate::errors::Errors;

/// The arms that will be expanded, in source order, and the `default` body.
pub(crate) struct Plan<'a> {
    pub ops: Vec<Op<'a>>,
    pub default: Option<&'a Expr>,
}

/// A valid channel operation and the body it runs when chosen.
pub(crate) struct Op<'a> {
    pub kind: OpKind<'a>,
    pub body: &'a Expr,
}

/// The channel operation of an arm.
pub(crate) enum OpKind<'a> {
    /// `<-operand`, with what the received `Option<T>` is bound to.
    Recv { operand: &'a Expr, pattern: RecvPattern<'a> },
    /// `channel <- value`, and the name the send's result is bound to, if
    /// any.
    Send { arrow: Arrow, channel: &'a Expr, value: &'a Expr, result: Option<&'a Pat> },
}

/// What a receive arm does with the `Option<T>` it receives.
pub(crate) enum RecvPattern<'a> {
    /// `<-rx`, `_ = <-rx`: the value is dropped; the arm runs on close too.
    Discard,
    /// `v = <-rx`: `v` is the `Option<T>` (`None` once closed). Any other
    /// pattern the compiler will check to be irrefutable.
    Whole(&'a Pat),
    /// `Some(p) = <-rx`: the arm runs with `p` bound to the value, and is
    /// disabled when the channel is closed. `None` for `Some(_)`/`Some(..)`.
    Some(Option<&'a Pat>),
}

/// Checks every arm; returns what can be expanded and all the errors.
pub(crate) fn check(select: &Select) -> (Plan<'_>, Option<Error>) {
    let mut errors = Errors::default();
    for err in &select.errors {
        errors.push(err.clone());
    }
    let mut plan = Plan { ops: Vec::new(), default: None };
    for arm in &select.arms {
        match check_arm(arm, &mut errors) {
            Some(Checked::Op(kind)) => plan.ops.push(Op { kind, body: &arm.body }),
            Some(Checked::Default(default)) if plan.default.is_some() => {
                errors.push(Error::new_spanned(default, "remove this second `default` arm: a select! has at most one"))
            }
            Some(Checked::Default(_)) => plan.default = Some(&arm.body),
            None => {}
        }
    }
    (plan, errors.into_error())
}

enum Checked<'a> {
    Op(OpKind<'a>),
    Default(&'a super::parse::kw::default),
}

/// Sorts one arm, or pushes its error.
fn check_arm<'a>(arm: &'a Arm, errors: &mut Errors) -> Option<Checked<'a>> {
    match &arm.head {
        Head::Default(default) => Some(Checked::Default(default)),
        Head::Recv { binding, arrow: _, operand } => {
            let pattern = match binding {
                None => RecvPattern::Discard,
                Some(Binding { pat, .. }) => match recv_pattern(pat) {
                    Ok(pattern) => pattern,
                    Err(err) => {
                        errors.push(err);
                        return None;
                    }
                },
            };
            Some(Checked::Op(OpKind::Recv { operand, pattern }))
        }
        Head::Send { binding, channel, arrow, value } => {
            let result = match binding {
                None => None,
                Some(Binding { pat, .. }) if is_name(pat) => Some(pat),
                Some(Binding { pat, .. }) => {
                    errors.push(Error::new_spanned(
                        pat,
                        "bind the send's result to a name and match on it in the arm's body: \
                         `res = tx <- value => ...` gives `res: Result<(), SendError<T>>`",
                    ));
                    return None;
                }
            };
            Some(Checked::Op(OpKind::Send { arrow: *arrow, channel, value, result }))
        }
        Head::Other(tokens) if tokens.is_empty() => {
            errors.push(Error::new_spanned(arm.fat_arrow, ARM_FORMS));
            None
        }
        Head::Other(tokens) => {
            errors.push(Error::new_spanned(tokens, ARM_FORMS));
            None
        }
    }
}

/// `v`, `mut v`, `_`: a pattern that takes any value whole.
fn is_name(pat: &Pat) -> bool {
    match pat {
        Pat::Wild(_) => true,
        Pat::Ident(PatIdent { subpat: None, ident, .. }) => ident != "None",
        Pat::Paren(paren) => is_name(&paren.pat),
        _ => false,
    }
}

/// Sorts the pattern of `pat = <-rx`.
fn recv_pattern(pat: &Pat) -> syn::Result<RecvPattern<'_>> {
    match pat {
        Pat::Paren(paren) => recv_pattern(&paren.pat),
        Pat::Wild(_) => Ok(RecvPattern::Discard),
        Pat::TupleStruct(some) if some.qself.is_none() && ends_with(&some.path, "Some") && some.elems.len() == 1 => {
            let inner = &some.elems[0];
            if let Some(refutable) = refutable_part(inner) {
                return Err(refutable_error(refutable));
            }
            Ok(RecvPattern::Some(match inner {
                Pat::Wild(_) | Pat::Rest(_) => None,
                inner => Some(inner),
            }))
        }
        pat => match refutable_part(pat) {
            Some(refutable) => Err(refutable_error(refutable)),
            None => Ok(RecvPattern::Whole(pat)),
        },
    }
}

fn refutable_error(refutable: &Pat) -> Error {
    Error::new_spanned(
        refutable,
        "bind the value and test it in the arm's body instead (`Some(v) = <-rx => if v == ... { ... }`): \
         select! skips an arm only when its channel is closed; a value this pattern refused would be lost",
    )
}

/// The first part of `pat` that can refuse a value whatever the names in it
/// mean: a literal, a range, an alternative, `None`, `Some(..)`, `Ok(..)`,
/// `Err(..)`. Paths to constants or enum variants of the user's own are left
/// to the compiler, which rejects a refutable pattern in the `let` the
/// expansion binds it with.
fn refutable_part(pat: &Pat) -> Option<&Pat> {
    match pat {
        Pat::Lit(_) | Pat::Range(_) | Pat::Or(_) | Pat::Const(_) => Some(pat),
        Pat::Ident(ident) => match &ident.subpat {
            None if ident.ident == "None" && ident.by_ref.is_none() && ident.mutability.is_none() => Some(pat),
            None => None,
            Some((_, subpat)) => refutable_part(subpat),
        },
        Pat::Path(path) if ["None", "Some", "Ok", "Err"].iter().any(|v| ends_with(&path.path, v)) => Some(pat),
        Pat::TupleStruct(ts) if ["Some", "Ok", "Err"].iter().any(|v| ends_with(&ts.path, v)) => Some(pat),
        Pat::TupleStruct(ts) => ts.elems.iter().find_map(refutable_part),
        Pat::Paren(paren) => refutable_part(&paren.pat),
        Pat::Reference(reference) => refutable_part(&reference.pat),
        Pat::Tuple(tuple) => tuple.elems.iter().find_map(refutable_part),
        Pat::Struct(st) => st.fields.iter().find_map(|field| refutable_part(&field.pat)),
        Pat::Slice(slice) => slice.elems.iter().find_map(refutable_part),
        Pat::Type(ty) => refutable_part(&ty.pat),
        _ => None,
    }
}

/// Whether `path`'s last segment is `name` (`Some`, `Option::Some`,
/// `::std::option::Option::Some`).
fn ends_with(path: &syn::Path, name: &str) -> bool {
    path.segments.last().is_some_and(|segment| segment.ident == name)
}

//! Checks that `#[worker_pool]` is on a function a pool can call, and its
//! options; each mistake is spanned on the offending tokens and says what
//! to write.

use syn::spanned::Spanned;
use syn::{Error, Expr, ExprLit, FnArg, Item, ItemFn, Lit, ReturnType, Type};

use super::parse::Input;
use crate::errors::Errors;

const SHAPE: &str = "#[worker_pool] goes on a function taking one job: `fn name(job: J) -> R`";

pub(crate) struct Plan<'a> {
    pub func: &'a ItemFn,
    pub job: &'a Type,
    /// `None`: `()`.
    pub result: Option<&'a Type>,
    pub workers: Option<&'a Expr>,
    pub buffer: Option<&'a Expr>,
}

pub(crate) fn check(input: &Input) -> Result<Plan<'_>, Error> {
    let mut errors = Errors::default();
    for err in &input.errors {
        errors.push(err.clone());
    }
    let (mut workers, mut buffer) = (None, None);
    for opt in &input.options {
        let slot = match opt.key.to_string().as_str() {
            "workers" => &mut workers,
            "buffer" => &mut buffer,
            _ => {
                errors.push(Error::new(
                    opt.key.span(),
                    format!("unknown option `{}`: #[worker_pool] takes `workers = N` and `buffer = M`", opt.key),
                ));
                continue;
            }
        };
        let Some(value) = &opt.value else {
            errors.push(Error::new(opt.key.span(), format!("`{}` takes a value: `{} = N`", opt.key, opt.key)));
            continue;
        };
        if slot.is_some() {
            errors.push(Error::new(opt.key.span(), format!("option `{}` is given twice: keep one", opt.key)));
            continue;
        }
        if opt.key == "workers" {
            if let Expr::Lit(ExprLit { lit: Lit::Int(n), .. }) = value {
                if n.base10_parse::<usize>().is_ok_and(|n| n == 0) {
                    errors.push(Error::new(n.span(), "`workers` must be at least 1"));
                }
            }
        }
        *slot = Some(value);
    }
    let func = match &input.parsed {
        Ok(Item::Fn(f)) => Some(f),
        Ok(other) => {
            errors.push(Error::new(item_keyword_span(other), SHAPE));
            None
        }
        Err(_) => {
            errors.push(Error::new(proc_macro2::Span::call_site(), SHAPE));
            None
        }
    };
    let mut job = None;
    if let Some(f) = func {
        let sig = &f.sig;
        if let Some(u) = &sig.unsafety {
            errors.push(Error::new(
                u.span,
                "#[worker_pool] cannot call an `unsafe fn` from its workers: make it safe, with the unsafe block inside",
            ));
        }
        if let Some(a) = &sig.asyncness {
            errors.push(Error::new(
                a.span,
                "#[worker_pool] cannot run an `async fn`: its workers are goroutines, which block; remove `async`",
            ));
        }
        if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
            errors.push(Error::new_spanned(
                &sig.generics,
                "#[worker_pool] needs concrete job and result types: remove the generic parameters",
            ));
        }
        let mut inputs = sig.inputs.iter();
        match (inputs.next(), inputs.next()) {
            (Some(FnArg::Receiver(r)), _) => errors.push(Error::new_spanned(
                r,
                "#[worker_pool] goes on a free function, not a method: take the job as the only parameter",
            )),
            (None, _) => errors.push(Error::new(
                sig.paren_token.span.join(),
                "#[worker_pool] needs one job parameter: `fn name(job: J) -> R`",
            )),
            (Some(FnArg::Typed(_)), Some(extra)) => errors.push(Error::new_spanned(
                extra,
                "#[worker_pool] takes one job parameter: bundle the values into one type (a tuple or a struct)",
            )),
            (Some(FnArg::Typed(pat)), None) => match &*pat.ty {
                Type::ImplTrait(t) => errors.push(Error::new_spanned(
                    t,
                    "#[worker_pool] needs a concrete job type: name the type instead of `impl Trait`",
                )),
                Type::Reference(r) => errors.push(Error::new_spanned(
                    r,
                    "a job crosses to another goroutine: take an owned type (`String`, not `&str`; `Vec<T>`, not `&[T]`)",
                )),
                ty => job = Some(ty),
            },
        }
    }
    if let Some(err) = errors.into_error() {
        return Err(err);
    }
    let (Some(func), Some(job)) = (func, job) else {
        return Err(Error::new(proc_macro2::Span::call_site(), SHAPE));
    };
    let result = match &func.sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, t) => Some(&**t),
    };
    Ok(Plan { func, job, result, workers, buffer })
}

/// The keyword of an item that is not a function (`struct`, `impl`, ...).
fn item_keyword_span(item: &Item) -> proc_macro2::Span {
    match item {
        Item::Struct(s) => s.struct_token.span,
        Item::Enum(e) => e.enum_token.span,
        Item::Impl(i) => i.impl_token.span,
        Item::Mod(m) => m.mod_token.span,
        Item::Trait(t) => t.trait_token.span,
        Item::Const(c) => c.const_token.span,
        Item::Static(s) => s.static_token.span,
        Item::Type(t) => t.type_token.span,
        other => other.span(),
    }
}

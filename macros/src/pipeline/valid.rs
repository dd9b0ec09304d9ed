//! Checks `pipeline!`'s stages and settles their options; every mistake is
//! collected, spanned on the offending tokens, and says what to write.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::{Error, Expr, ExprLit, Ident, Lit};

use super::parse::{Arg, Pipeline, Stage};
use super::STAGES;
use crate::errors::Errors;

const OPTIONS: &str = "stage options are `workers = N`, `ordered` and `buffer = N`, before the function";

/// What `expand` writes.
pub(crate) struct Plan<'a> {
    pub source: &'a Expr,
    pub stages: Vec<StagePlan<'a>>,
}

/// One checked stage.
pub(crate) struct StagePlan<'a> {
    pub name: &'a Ident,
    /// From 1.
    pub index: usize,
    pub workers: Option<&'a Expr>,
    pub ordered: bool,
    pub buffer: Option<&'a Expr>,
    /// The stage's function: a closure, a path, any expression.
    pub func: TokenStream,
}

pub(crate) fn check(pipeline: &Pipeline) -> Result<Plan<'_>, Error> {
    let mut errors = Errors::default();
    for err in &pipeline.errors {
        errors.push(err.clone());
    }
    let mut stages = Vec::new();
    for (i, stage) in pipeline.stages.iter().enumerate() {
        if let Some(plan) = check_stage(i + 1, stage, &mut errors) {
            stages.push(plan);
        }
    }
    let source = match &pipeline.source {
        Some(source) => Some(source),
        None if pipeline.errors.is_empty() => {
            errors.push(Error::new(
                Span::call_site(),
                "pipeline! is empty: write a source, then stages, e.g. `pipeline! { 1..=10 => map(|n| n * n) }`",
            ));
            None
        }
        None => None,
    };
    match (errors.into_error(), source) {
        (None, Some(source)) => Ok(Plan { source, stages }),
        (Some(err), _) => Err(err),
        (None, None) => Err(Error::new(Span::call_site(), "pipeline! needs a source")),
    }
}

fn check_stage<'a>(index: usize, stage: &'a Stage, errors: &mut Errors) -> Option<StagePlan<'a>> {
    let name = &stage.name;
    let mut ok = true;
    if !STAGES.contains(&name.to_string().as_str()) {
        errors.push(Error::new(
            name.span(),
            format!(
                "unknown pipeline! stage `{name}`: use `map`, `filter`, `filter_map`, `flat_map`, `try_map` or `inspect`"
            ),
        ));
        ok = false;
    }
    let Some((last, options)) = stage.args.split_last() else {
        errors.push(Error::new(stage.parens, format!("stage `{name}` needs its function: `{name}(|x| ...)`")));
        return None;
    };
    let func = match last {
        Arg::Expr(e) => e.to_token_stream(),
        Arg::Flag(f) if f != "ordered" => f.to_token_stream(),
        Arg::Flag(_) | Arg::Option { .. } => {
            errors.push(Error::new(
                stage.parens,
                format!("stage `{name}` needs its function last: `{name}(..., |x| ...)`"),
            ));
            ok = false;
            TokenStream::new()
        }
    };
    let mut plan = StagePlan { name, index, workers: None, ordered: false, buffer: None, func };
    let mut seen: Vec<&Ident> = Vec::new();
    for arg in options {
        let key = match arg {
            Arg::Option { key, .. } | Arg::Flag(key) => key,
            Arg::Expr(e) => {
                errors.push(Error::new_spanned(e, format!("the function goes last; {OPTIONS}")));
                ok = false;
                continue;
            }
        };
        if let Some(first) = seen.iter().find(|k| **k == key) {
            let _ = first;
            errors.push(Error::new(key.span(), format!("option `{key}` is given twice: keep one")));
            ok = false;
            continue;
        }
        seen.push(key);
        match (key.to_string().as_str(), arg) {
            ("workers", Arg::Option { value, .. }) => {
                if let Expr::Lit(ExprLit { lit: Lit::Int(n), .. }) = value {
                    if n.base10_parse::<usize>().is_ok_and(|n| n == 0) {
                        errors.push(Error::new(n.span(), "`workers` must be at least 1"));
                        ok = false;
                    }
                }
                plan.workers = Some(value);
            }
            ("buffer", Arg::Option { value, .. }) => plan.buffer = Some(value),
            ("ordered", Arg::Flag(_)) => plan.ordered = true,
            ("workers" | "buffer", Arg::Flag(_)) => {
                errors.push(Error::new(key.span(), format!("`{key}` takes a value: `{key} = N`")));
                ok = false;
            }
            ("ordered", Arg::Option { .. }) => {
                errors.push(Error::new(key.span(), "`ordered` takes no value: write `ordered`"));
                ok = false;
            }
            _ => {
                errors.push(Error::new(key.span(), format!("unknown option `{key}`: {OPTIONS}")));
                ok = false;
            }
        }
    }
    ok.then_some(plan)
}

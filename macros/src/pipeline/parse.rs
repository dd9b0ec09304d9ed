//! Reads `pipeline!`'s input into the form it was written in:
//! `source => stage(args) => stage(args) ...`.
//!
//! The source is every token before the first top-level `=>` (Rust's `=>`
//! cannot appear at the top level of an expression, so the split is
//! exact). A stage is `name(arg, arg, ...)`; its arguments are options
//! (`workers = N`, `ordered`, `buffer = N`) and, last, the closure. A stage
//! that cannot be read keeps its error and the next stage is still read.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Error, Expr, Ident, Token};

/// A whole `pipeline! { ... }`.
pub(crate) struct Pipeline {
    /// The source expression, or `None` for an empty input.
    pub source: Option<Expr>,
    pub stages: Vec<Stage>,
    pub errors: Vec<Error>,
}

/// `name(args)`.
pub(crate) struct Stage {
    pub name: Ident,
    /// The parentheses, for errors about a missing closure.
    pub parens: Span,
    pub args: Vec<Arg>,
}

/// One argument of a stage.
pub(crate) enum Arg {
    /// `key = value`.
    Option { key: Ident, value: Expr },
    /// A bare identifier (`ordered`), or anything else that is not a
    /// closure: `valid` tells which.
    Flag(Ident),
    /// The closure (or any other expression: the type checker judges it).
    Expr(Expr),
}

pub(crate) fn parse(input: TokenStream) -> Pipeline {
    let mut pipeline = Pipeline { source: None, stages: Vec::new(), errors: Vec::new() };
    let mut segments = split_fat_arrows(input).into_iter();
    let first = segments.next();
    let first_arrow = first.as_ref().and_then(|(_, arrow)| *arrow);
    match first {
        Some((tokens, _)) if !tokens.is_empty() => match syn::parse2::<Expr>(tokens) {
            Ok(expr) => pipeline.source = Some(expr),
            Err(err) => pipeline.errors.push(err),
        },
        Some((_, Some(arrow))) => pipeline.errors.push(Error::new(
            arrow,
            "pipeline! needs a source before its first `=>`: an iterator or a channel's `Receiver`",
        )),
        _ => {}
    }
    // The `=>` before each stage, for an error about a missing stage.
    let mut before = first_arrow;
    for (tokens, arrow) in segments {
        let this_arrow = std::mem::replace(&mut before, arrow);
        if tokens.is_empty() {
            let span = this_arrow.unwrap_or_else(Span::call_site);
            pipeline.errors.push(Error::new(span, "expected a stage after `=>`, e.g. `=> map(|x| x + 1)`"));
            continue;
        }
        match parse_stage.parse2(tokens) {
            Ok(stage) => pipeline.stages.push(stage),
            Err(err) => pipeline.errors.push(err),
        }
    }
    pipeline
}

/// Splits at top-level `=>`: each segment's tokens, with the span of the
/// `=>` that ends it (`None` for the last).
fn split_fat_arrows(input: TokenStream) -> Vec<(TokenStream, Option<Span>)> {
    let tokens: Vec<TokenTree> = input.into_iter().collect();
    let mut segments = Vec::new();
    let mut current = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if let (TokenTree::Punct(eq), Some(TokenTree::Punct(gt))) = (&tokens[i], tokens.get(i + 1)) {
            if eq.as_char() == '=' && eq.spacing() == proc_macro2::Spacing::Joint && gt.as_char() == '>' {
                segments.push((current.drain(..).collect(), Some(eq.span())));
                i += 2;
                continue;
            }
        }
        current.push(tokens[i].clone());
        i += 1;
    }
    segments.push((current.into_iter().collect(), None));
    segments
}

fn parse_stage(input: ParseStream) -> syn::Result<Stage> {
    let name: Ident = input.parse().map_err(|e| {
        Error::new(e.span(), "expected a stage: `map(...)`, `filter(...)`, `filter_map(...)`, `flat_map(...)`, `try_map(...)` or `inspect(...)`")
    })?;
    let parens = match input.cursor().group(Delimiter::Parenthesis) {
        Some((_, span, _)) => span.join(),
        None => {
            return Err(Error::new(
                name.span(),
                format!("expected `{name}(...)`: a stage takes its options and closure in parentheses"),
            ))
        }
    };
    let content;
    syn::parenthesized!(content in input);
    let args = Punctuated::<Arg, Token![,]>::parse_terminated_with(&content, parse_arg)?;
    if !input.is_empty() {
        return Err(input.error("expected `=>` before the next stage"));
    }
    Ok(Stage { name, parens, args: args.into_iter().collect() })
}

fn parse_arg(input: ParseStream) -> syn::Result<Arg> {
    if input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![==]) && !input.peek2(Token![=>]) {
        let key: Ident = input.parse()?;
        input.parse::<Token![=]>()?;
        let value: Expr = input.parse()?;
        return Ok(Arg::Option { key, value });
    }
    if input.peek(Ident) && (input.peek2(Token![,]) || is_last(input)) {
        // A lone identifier: a flag (`ordered`), or the name of a function
        // passed as the stage's function; `valid` decides by position.
        return Ok(Arg::Flag(input.parse()?));
    }
    Ok(Arg::Expr(input.parse()?))
}

/// Whether only one token tree is left (a lone identifier at the end).
fn is_last(input: ParseStream) -> bool {
    let fork = input.fork();
    fork.parse::<TokenTree>().is_ok() && fork.is_empty()
}

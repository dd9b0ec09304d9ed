//! Reads the arms of `select!` into the form they were written in.
//!
//! Go's arrow is two Rust tokens, `<` then `-`. A receive operation starts
//! with them (`<-rx`); a send operation has them after its channel
//! (`tx <- value`), where Rust would read `tx < -value`, so the channel's
//! tokens are split off at the arrow before being parsed. An arm whose
//! tokens are neither is kept as [`Head::Other`] for `valid` to reject.
//!
//! A malformed arm does not stop the parse: its error is kept, the tokens up
//! to the next top-level `,` are skipped, and the other arms are still read
//! (and expanded), so one mistake gives one error.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::parse::discouraged::Speculative;
use syn::parse::{ParseStream, Parser};
use syn::{Error, Expr, Pat, Token};

pub(crate) mod kw {
    syn::custom_keyword!(default);
}

/// A whole `select! { ... }`.
pub(crate) struct Select {
    pub arms: Vec<Arm>,
    /// Arms that could not be read, each with its error.
    pub errors: Vec<Error>,
}

/// `head => body`.
pub(crate) struct Arm {
    pub head: Head,
    pub fat_arrow: Token![=>],
    pub body: Expr,
}

/// What an arm waits for.
pub(crate) enum Head {
    /// `default`: the select does not block.
    Default(kw::default),
    /// `<-operand`, `pat = <-operand`.
    Recv { binding: Option<Binding>, arrow: Arrow, operand: Expr },
    /// `channel <- value`, `pat = channel <- value`.
    Send { binding: Option<Binding>, channel: Expr, arrow: Arrow, value: Expr },
    /// Anything else (`x`, `foo()`, `v = rx.recv()`): the tokens before
    /// `=>`, binding included. Rejected by `valid`.
    Other(TokenStream),
}

/// `pat =` before an operation.
pub(crate) struct Binding {
    pub pat: Pat,
    pub eq: Token![=],
}

/// Go's `<-`, as the spans of its two tokens.
#[derive(Clone, Copy)]
pub(crate) struct Arrow {
    pub lt: Span,
    pub minus: Span,
}

/// Parses `select!`'s input: arms separated by commas (optional after a
/// block body, as in `match`).
pub(crate) fn parse(input: TokenStream) -> Select {
    let parser = |input: ParseStream| {
        let mut select = Select { arms: Vec::new(), errors: Vec::new() };
        while !input.is_empty() {
            match parse_arm(input) {
                Ok(arm) => select.arms.push(arm),
                Err(err) => {
                    select.errors.push(err);
                    skip_arm(input);
                }
            }
        }
        Ok(select)
    };
    // The parser above never fails: every error is recovered from.
    parser.parse2(input).unwrap_or_else(|err| Select { arms: Vec::new(), errors: vec![err] })
}

fn parse_arm(input: ParseStream) -> syn::Result<Arm> {
    let head = parse_head(input)?;
    if !input.peek(Token![=>]) {
        return Err(missing_fat_arrow(input, &head));
    }
    let fat_arrow: Token![=>] = input.parse()?;
    let body: Expr = input.parse()?;
    if input.is_empty() || input.peek(Token![,]) {
        let _: Option<Token![,]> = input.parse()?;
    } else if needs_comma(&body) {
        return Err(Error::new_spanned(&body, "add a `,` after this arm's body: select! arms are separated by commas"));
    }
    Ok(Arm { head, fat_arrow, body })
}

/// Everything before `=>`.
fn parse_head(input: ParseStream) -> syn::Result<Head> {
    if input.peek(kw::default) && is_default_arm(input) {
        return Ok(Head::Default(input.parse()?));
    }
    let binding = parse_binding(input)?;
    if let Some(arrow) = parse_arrow(input)? {
        let operand = parse_operand(input)?;
        return Ok(Head::Recv { binding, arrow, operand });
    }
    if let Some(channel) = tokens_before_arrow(input)? {
        let channel: Expr = syn::parse2(channel)?;
        let arrow = parse_arrow(input)?.expect("tokens_before_arrow stops at `<-`");
        let value = parse_operand(input)?;
        return Ok(Head::Send { binding, channel, arrow, value });
    }
    let mut tokens = TokenStream::new();
    if let Some(Binding { pat, eq }) = binding {
        quote::ToTokens::to_tokens(&pat, &mut tokens);
        quote::ToTokens::to_tokens(&eq, &mut tokens);
    }
    while !input.is_empty() && !input.peek(Token![=>]) {
        tokens.extend([input.parse::<TokenTree>()?]);
    }
    Ok(Head::Other(tokens))
}

/// `default` followed by `=>`, or by what shows its `=>` was forgotten (the
/// end, `,` or a block): not `default = <-rx`, where it is a name.
fn is_default_arm(input: ParseStream) -> bool {
    let fork = input.fork();
    fork.parse::<kw::default>().is_ok()
        && (fork.is_empty() || fork.peek(Token![=>]) || fork.peek(Token![,]) || fork.peek(syn::token::Brace))
}

/// `pat =`, if the arm starts with one (and not with `pat ==` or `pat =>`).
fn parse_binding(input: ParseStream) -> syn::Result<Option<Binding>> {
    let fork = input.fork();
    let is_binding =
        Pat::parse_single(&fork).is_ok() && fork.peek(Token![=]) && !fork.peek(Token![=>]) && !fork.peek(Token![==]);
    if !is_binding {
        return Ok(None);
    }
    Ok(Some(Binding { pat: Pat::parse_single(input)?, eq: input.parse()? }))
}

/// `<-`, if it comes next.
fn parse_arrow(input: ParseStream) -> syn::Result<Option<Arrow>> {
    if !(input.peek(Token![<]) && input.peek2(Token![-])) {
        return Ok(None);
    }
    let lt: Token![<] = input.parse()?;
    let minus: Token![-] = input.parse()?;
    Ok(Some(Arrow { lt: lt.span, minus: minus.span }))
}

/// The tokens before a `<-` that comes before `=>`, consumed up to the
/// arrow; `None`, consuming nothing, when there is no such arrow.
fn tokens_before_arrow(input: ParseStream) -> syn::Result<Option<TokenStream>> {
    let fork = input.fork();
    let mut tokens = TokenStream::new();
    loop {
        if fork.is_empty() || fork.peek(Token![=>]) {
            return Ok(None);
        }
        if fork.peek(Token![<]) && fork.peek2(Token![-]) && !tokens.is_empty() {
            input.advance_to(&fork);
            return Ok(Some(tokens));
        }
        tokens.extend([fork.parse::<TokenTree>()?]);
    }
}

/// An expression ending at `=>`: the receive operand or the sent value.
///
/// A struct literal is allowed (`tx <- Job { id } => ...`) when `=>`
/// follows it; otherwise the expression stops before a `{`, as an `if`
/// condition does, so that `<-rx { ... }` (a forgotten `=>`) is reported
/// as such.
fn parse_operand(input: ParseStream) -> syn::Result<Expr> {
    let fork = input.fork();
    if let Ok(expr) = fork.parse::<Expr>() {
        if fork.peek(Token![=>]) {
            input.advance_to(&fork);
            return Ok(expr);
        }
    }
    Expr::parse_without_eager_brace(input)
}

/// The error for an arm whose operation is not followed by `=>`: spanned on
/// the operation, which is what the `=>` must follow.
fn missing_fat_arrow(input: ParseStream, head: &Head) -> Error {
    match head {
        Head::Default(default) => {
            Error::new_spanned(default, "add `=>` and the arm's body after `default`: `default => ...`")
        }
        Head::Recv { binding, arrow, operand } => {
            let first = binding.as_ref().map_or(arrow.lt, |b| span_of_first(&b.pat));
            let last = crate::span::ends(operand).1;
            spanned_range(first, last, "add `=>` and the arm's body after this receive: `v = <-rx => ...`")
        }
        Head::Send { binding, channel, value, .. } => {
            let first = binding.as_ref().map_or_else(|| span_of_first(channel), |b| span_of_first(&b.pat));
            let last = crate::span::ends(value).1;
            spanned_range(first, last, "add `=>` and the arm's body after this send: `tx <- value => ...`")
        }
        // Not an operation, and at the end of the input: that is the mistake.
        Head::Other(tokens) if !tokens.is_empty() => Error::new_spanned(tokens, super::ARM_FORMS),
        Head::Other(_) => Error::new(input.span(), super::ARM_FORMS),
    }
}

fn span_of_first(node: &impl quote::ToTokens) -> Span {
    crate::span::ends(node).0
}

/// An error covering `first..=last` (on stable, a span cannot be joined:
/// `Error::new_spanned` covers from its tokens' first span to their last).
fn spanned_range(first: Span, last: Span, message: &str) -> Error {
    let mut a = proc_macro2::Punct::new('*', proc_macro2::Spacing::Alone);
    a.set_span(first);
    let mut b = proc_macro2::Punct::new('*', proc_macro2::Spacing::Alone);
    b.set_span(last);
    let tokens: TokenStream = [TokenTree::Punct(a), TokenTree::Punct(b)].into_iter().collect();
    Error::new_spanned(tokens, message)
}

/// Skips what is left of an arm that failed to parse: up to and including
/// the next top-level `,`.
fn skip_arm(input: ParseStream) {
    while !input.is_empty() {
        if input.parse::<Option<Token![,]>>().ok().flatten().is_some() {
            return;
        }
        if input.parse::<TokenTree>().is_err() {
            return;
        }
    }
}

/// Whether a body must be followed by `,` before another arm: as in
/// `match`, every body except a block-like expression.
fn needs_comma(body: &Expr) -> bool {
    !matches!(
        body,
        Expr::Block(_)
            | Expr::Const(_)
            | Expr::ForLoop(_)
            | Expr::If(_)
            | Expr::Loop(_)
            | Expr::Match(_)
            | Expr::TryBlock(_)
            | Expr::Unsafe(_)
            | Expr::While(_)
    )
}

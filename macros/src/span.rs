//! The first and last tokens of a node: on stable Rust a proc macro cannot
//! join spans, so a generated expression is made to cover a user's node by
//! starting at its first token and ending at its last.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;

/// The spans of the first and last tokens of `node` (a group's closing
/// delimiter for the last); the call site for an empty node.
pub(crate) fn ends(node: &impl ToTokens) -> (Span, Span) {
    let tokens: TokenStream = node.to_token_stream();
    let mut iter = tokens.into_iter();
    let first = iter.next();
    let last = iter.last().or_else(|| first.clone());
    let first = first.map_or_else(Span::call_site, |tt| tt.span());
    let last = match last {
        Some(TokenTree::Group(group)) => group.span_close(),
        Some(tt) => tt.span(),
        None => Span::call_site(),
    };
    (first, last)
}

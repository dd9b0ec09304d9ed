//! Writes a `pipeline!` as a chain of builder calls. For
//! `1..=10 => map(|n| n * n) => filter(workers = 2, |n| n % 2 == 0)`
//! (`P` is `::goroutines::__private::pipeline`, locals are hygienic):
//!
//! ```text
//! {
//!     let __p = P::Source(Some(1..=10)).take_builder();   // a Receiver is used as is
//!     let __p = __p.map(P::Opts { stage: 1, kind: "map", workers: 1, ordered: false,
//!                                 buffer: P::DEFAULT_BUFFER }, |n| n * n);
//!     let __p = __p.filter(P::Opts { stage: 2, kind: "filter", workers: 2, .. }, |n| n % 2 == 0);
//!     __p.finish()
//! }
//! ```
//!
//! Each stage's call is spanned on the user's function, so a function whose
//! input type does not match the previous stage's output is reported there.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::Ident;

use super::valid::Plan;
use crate::span;

pub(crate) fn expand(plan: &Plan) -> TokenStream {
    let p = Ident::new("__goroutines_pipeline", Span::mixed_site());
    let source = plan.source;
    let (source_start, _) = span::ends(source);
    let mut body = quote_spanned! {source_start=>
        #[allow(unused_imports)]
        use ::goroutines::__private::pipeline::IterSource as _;
        let #p = ::goroutines::__private::pipeline::Source(::core::option::Option::Some(#source)).take_builder();
    };
    for stage in &plan.stages {
        let name = stage.name;
        let index = stage.index;
        let kind = name.to_string();
        let workers = match stage.workers {
            Some(w) => quote!(#w),
            None => quote!(1usize),
        };
        let ordered = stage.ordered;
        let buffer = match stage.buffer {
            Some(b) => quote!(#b),
            None => quote!(::goroutines::__private::pipeline::DEFAULT_BUFFER),
        };
        let func = &stage.func;
        let (func_start, _) = span::ends(func);
        let opts = quote! {
            ::goroutines::__private::pipeline::Opts {
                stage: #index, kind: #kind, workers: #workers, ordered: #ordered, buffer: #buffer,
            }
        };
        body.extend(quote_spanned! {func_start=>
            let #p = #p.#name(#opts, #func);
        });
    }
    quote!({ #body #p.finish() })
}

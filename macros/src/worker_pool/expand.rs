//! Writes the function back and the module beside it. For
//! `#[worker_pool(workers = 8, buffer = 100)] pub fn resize(job: Image) -> Thumb`:
//!
//! ```text
//! pub fn resize(job: Image) -> Thumb { ... }
//! pub mod resize {
//!     pub fn start() -> ::goroutines::WorkerPool<Image, Thumb> {
//!         ::goroutines::WorkerPool::start("resize", 8, 100, super::resize)
//!     }
//!     pub fn run(jobs: impl IntoIterator<Item = Image>) -> Vec<Thumb> { start().run(jobs) }
//! }
//! ```

use proc_macro2::TokenStream;
use quote::quote;

use super::valid::Plan;

pub(crate) fn expand(plan: &Plan) -> TokenStream {
    let func = plan.func;
    let vis = &func.vis;
    let name = &func.sig.ident;
    let name_str = name.to_string();
    let job = plan.job;
    let result = match plan.result {
        Some(t) => quote!(#t),
        None => quote!(()),
    };
    let workers = match plan.workers {
        Some(w) => quote!(#w),
        None => quote!(::goroutines::max_procs()),
    };
    let buffer = match plan.buffer {
        Some(b) => quote!(#b),
        None => quote!(::goroutines::pipeline::DEFAULT_BUFFER),
    };
    let doc_start = format!("Starts the `{name_str}` worker pool: its workers run [`{name_str}`](fn@super::{name_str}) on each submitted job.");
    let doc_run =
        format!("Runs every job on a new `{name_str}` pool and returns the results, in the order jobs complete.");
    // The job and result types, named beside the function: written inside
    // the module, a path like `super::Job` would point one module too high.
    // Likewise the options, evaluated where they were written.
    let options_fn = quote::format_ident!("__worker_pool_options_of_{}", name);
    let job_alias = quote::format_ident!("__worker_pool_job_of_{}", name);
    let result_alias = quote::format_ident!("__worker_pool_result_of_{}", name);
    quote! {
        #func

        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis type #job_alias = #job;
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis type #result_alias = #result;
        #[doc(hidden)]
        #vis fn #options_fn() -> (usize, usize) {
            (#workers, #buffer)
        }

        #[doc = concat!("The worker pool of [`", #name_str, "`](fn@", #name_str, "), made by `#[worker_pool]`.")]
        #vis mod #name {
            #[doc = #doc_start]
            #[track_caller]
            pub fn start() -> ::goroutines::WorkerPool<super::#job_alias, super::#result_alias> {
                let (workers, buffer) = super::#options_fn();
                ::goroutines::WorkerPool::start(#name_str, workers, buffer, super::#name)
            }

            #[doc = #doc_run]
            #[track_caller]
            pub fn run(
                jobs: impl ::core::iter::IntoIterator<Item = super::#job_alias>,
            ) -> ::std::vec::Vec<super::#result_alias> {
                start().run(jobs)
            }
        }
    }
}

//! Writes a `select!` as a runtime `Select` built from its arms.
//!
//! For `v = <-rx => b0, tx <- value => b1, Some(job) = <-jobs => b2,
//! default => b3` (helpers are `::goroutines::__private::*`, locals are
//! hygienic):
//!
//! ```text
//! {
//!     enum __GoroutinesSelectArm<T0, T2> { Arm0(T0), Arm1, Arm2(T2), Default }
//!     let __sel_won = {
//!         // Entry: every operand and sent value, once, in source order.
//!         let op0 = &(rx);                                  // borrowed, not moved
//!         let __sel_ch0 = recv_channel(&*op0);              // Option<&Receiver<T>>
//!         let op1 = &(tx);
//!         let __sel_ch1 = send_channel(&*op1);              // Option<&Sender<T>>
//!         let __sel_fill1 = send_value(__sel_ch1);          // `Some`, for T
//!         let mut __sel_val1 = __sel_fill1(value);          // Option<T>
//!         let op2 = &(jobs);
//!         let __sel_ch2 = recv_channel(&*op2);
//!         let mut __sel_open2 = true;
//!         loop {                                            // only with `Some(..)` arms
//!             let mut __sel = Select::new();
//!             let __sel_i0 = add_recv(&mut __sel, __sel_ch0);   // usize::MAX: disabled
//!             let __sel_i1 = add_send(&mut __sel, __sel_ch1);
//!             let __sel_r2 = if __sel_open2 { __sel_ch2 } else { None };
//!             let __sel_i2 = add_recv(&mut __sel, __sel_r2);
//!             break {
//!                 let __sel_ready = __sel.try_select();     // `__sel.select()` without `default`
//!                 match __sel_ready {
//!                     None => __GoroutinesSelectArm::Default,
//!                     Some(__sel_op) => {
//!                         let __sel_index = __sel_op.index();
//!                         if __sel_index == __sel_i0 {
//!                             __GoroutinesSelectArm::Arm0(complete_recv(__sel_op, __sel_ch0))
//!                         } else if __sel_index == __sel_i1 {
//!                             complete_send_or_panic(__sel_op, __sel_ch1, &mut __sel_val1);
//!                             __GoroutinesSelectArm::Arm1
//!                         } else if __sel_index == __sel_i2 {
//!                             match complete_recv(__sel_op, __sel_r2) {
//!                                 Some(v) => __GoroutinesSelectArm::Arm2(v),
//!                                 // Closed: disable the arm, select again.
//!                                 None => { __sel_open2 = false; continue }
//!                             }
//!                         } else { select_bad_index(__sel_index) }
//!                     }
//!                 }
//!             };
//!         }
//!     };   // operands and the values of losing send arms are dropped here
//!     match __sel_won {
//!         __GoroutinesSelectArm::Arm0(__sel_v) => { let v = __sel_v; b0 }
//!         __GoroutinesSelectArm::Arm1 => b1,
//!         __GoroutinesSelectArm::Arm2(__sel_v) => { let job = __sel_v; b2 }
//!         __GoroutinesSelectArm::Default => b3,
//!     }
//! }
//! ```
//!
//! The bodies run after the loop, outside it, so that a `break` or
//! `continue` in a body means the user's loop, not ours; the loop only
//! chooses the arm and completes its operation. The loop exists only when
//! an arm can be disabled while selecting (a `Some(..)` arm whose channel
//! closes). A pattern is bound by `let`, so that one which could refuse a
//! value is the compiler's "refutable pattern" error at the user's pattern
//! (`valid` already rejects the ones it can see).

use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::Expr;

use super::valid::{OpKind, Plan, RecvPattern};
use crate::span;

/// The expansion of the arms that passed validation.
pub(crate) fn expand(plan: &Plan) -> TokenStream {
    if plan.ops.is_empty() && plan.default.is_none() {
        // `select! {}`: Go's `select {}`, which never returns.
        return quote!(::goroutines::__private::select_forever());
    }
    let enum_name = Ident::new("__GoroutinesSelectArm", Span::mixed_site());
    let sel = local("__sel");
    let sel_op = local("__sel_op");
    let index = local("__sel_index");
    let value = local("__sel_v");
    let won = local("__sel_won");

    let mut params = Vec::new();
    let mut variants = Vec::new();
    let mut entry = TokenStream::new();
    let mut build = TokenStream::new();
    let mut branches: Vec<(Ident, TokenStream)> = Vec::new();
    let mut bodies = Vec::new();
    let mut can_disable = false;

    for (i, op) in plan.ops.iter().enumerate() {
        let variant = format_ident!("Arm{}", i, span = Span::mixed_site());
        let param = format_ident!("T{}", i, span = Span::mixed_site());
        let operand = format!("__goroutines_select_operand{i}");
        // The arm's `Option<&Receiver<T>>` / `Option<&Sender<T>>`, taken at
        // entry; `channel` is the one of this round (`None` once disabled).
        let entry_channel = local(&format!("__sel_ch{i}"));
        let mut channel = entry_channel.clone();
        let arm_index = local(&format!("__sel_i{i}"));
        let body = op.body;
        let branch;
        match &op.kind {
            OpKind::Recv { operand: expr, pattern } => {
                entry.extend(take_channel(&operand, &entry_channel, "recv_channel", expr));
                if let RecvPattern::Some(_) = pattern {
                    can_disable = true;
                    let open = local(&format!("__sel_open{i}"));
                    channel = local(&format!("__sel_r{i}"));
                    entry.extend(quote!(let mut #open = true;));
                    build.extend(quote! {
                        let #channel = if #open { #entry_channel } else { ::core::option::Option::None };
                    });
                }
                build.extend(quote!(let #arm_index = ::goroutines::__private::add_recv(&mut #sel, #channel);));
                let complete = quote!(::goroutines::__private::complete_recv(#sel_op, #channel));
                match pattern {
                    RecvPattern::Discard => {
                        variants.push(quote!(#variant));
                        branch = quote!({
                            ::core::mem::drop(#complete);
                            #enum_name::#variant
                        });
                        bodies.push(quote!(#enum_name::#variant => #body));
                    }
                    RecvPattern::Whole(pat) => {
                        params.push(param.clone());
                        variants.push(quote!(#variant(#param)));
                        branch = quote!(#enum_name::#variant(#complete));
                        bodies.push(quote!(#enum_name::#variant(#value) => { let #pat = #value; #body }));
                    }
                    RecvPattern::Some(pat) => {
                        let open = local(&format!("__sel_open{i}"));
                        params.push(param.clone());
                        variants.push(quote!(#variant(#param)));
                        branch = quote! {
                            match #complete {
                                ::core::option::Option::Some(#value) => #enum_name::#variant(#value),
                                ::core::option::Option::None => {
                                    #open = false;
                                    continue;
                                }
                            }
                        };
                        let bind = match pat {
                            Some(pat) => quote!(let #pat = #value;),
                            None => quote!(let _ = #value;),
                        };
                        bodies.push(quote!(#enum_name::#variant(#value) => { #bind #body }));
                    }
                }
            }
            OpKind::Send { arrow, channel: expr, value: sent, result } => {
                let slot = local(&format!("__sel_val{i}"));
                entry.extend(take_channel(&operand, &entry_channel, "send_channel", expr));
                entry.extend(hold_value(&slot, &entry_channel, &local(&format!("__sel_fill{i}")), sent));
                build.extend(quote!(let #arm_index = ::goroutines::__private::add_send(&mut #sel, #channel);));
                match result {
                    Some(pat) => {
                        params.push(param.clone());
                        variants.push(quote!(#variant(#param)));
                        branch = quote! {
                            #enum_name::#variant(::goroutines::__private::complete_send(#sel_op, #channel, &mut #slot))
                        };
                        bodies.push(quote!(#enum_name::#variant(#value) => { let #pat = #value; #body }));
                    }
                    None => {
                        // Spanned on the user's `<-`, so that the panic of a
                        // send on a closed channel is located at the arm.
                        let path = quote_spanned!(arrow.lt=> ::goroutines::__private::complete_send_or_panic);
                        let mut args = Group::new(Delimiter::Parenthesis, quote!(#sel_op, #channel, &mut #slot));
                        args.set_span(arrow.minus);
                        variants.push(quote!(#variant));
                        branch = quote!({
                            #path #args;
                            #enum_name::#variant
                        });
                        bodies.push(quote!(#enum_name::#variant => #body));
                    }
                }
            }
        }
        branches.push((arm_index, branch));
    }

    let chosen = if_chain(&branches, &index);
    let round = match plan.default {
        Some(default) => {
            variants.push(quote!(Default));
            bodies.push(quote!(#enum_name::Default => #default));
            let ready = local("__sel_ready");
            quote! {{
                // A local, not a scrutinee temporary: that one would outlive `__sel`.
                let #ready = #sel.try_select();
                match #ready {
                    ::core::option::Option::Some(#sel_op) => {
                        let #index = #sel_op.index();
                        #chosen
                    }
                    ::core::option::Option::None => #enum_name::Default,
                }
            }}
        }
        None => quote! {{
            let #sel_op = #sel.select();
            let #index = #sel_op.index();
            #chosen
        }},
    };
    let round = quote! {
        let mut #sel = ::goroutines::__private::Select::new();
        #build
        #round
    };
    let choose = if can_disable {
        quote!(loop {
            break { #round };
        })
    } else {
        quote!({ #round })
    };
    let generics = (!params.is_empty()).then(|| quote!(<#(#params),*>));
    quote! {{
        enum #enum_name #generics { #(#variants,)* }
        let #won = {
            #entry
            #choose
        };
        match #won {
            #(#bodies,)*
        }
    }}
}

/// The expansion when arms are wrong: the errors, and the valid arms
/// expanded as if the wrong ones were not there.
pub(crate) fn fallback(plan: &Plan, err: syn::Error) -> TokenStream {
    let err = err.to_compile_error();
    if plan.ops.is_empty() && plan.default.is_none() {
        // Nothing valid to expand: a value of any type, never computed,
        // that does not make the code after the select! unreachable.
        return quote!({ #err ::goroutines::__private::select_placeholder() });
    }
    let expansion = expand(plan);
    quote!({ #err #expansion })
}

/// A hygienic local.
fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// `let operand = &(expr); let channel = helper(&*operand);`.
///
/// The operand is borrowed, not moved, so that `<-rx` leaves `rx` usable as
/// in Go; a temporary (`<-after(d)`) lives to the end of the enclosing
/// block by temporary lifetime extension, which a `let` of `&(expr)` gets
/// and a function argument would not.
///
/// The helper's call is spread over the user's tokens (path and `&*` at the
/// first, `operand` and the parentheses at the last): its argument then
/// covers the user's expression, and a failed bound (a value that is not a
/// channel) is reported there alone, as `go!`'s `go_arg` is. For that the
/// argument's tokens must all have the user's hygiene, so the `operand`
/// local is named with the span of the expression's last token (it is used
/// nowhere else, and that name is not one a user writes).
fn take_channel(operand: &str, channel: &Ident, helper: &str, expr: &Expr) -> TokenStream {
    let (first, last) = span::ends(expr);
    let here = Span::call_site().located_at(first);
    let operand = Ident::new(operand, last);
    let helper = Ident::new(helper, last);
    let mut args = Group::new(Delimiter::Parenthesis, quote_spanned!(first=> &*#operand));
    args.set_span(last);
    let call = quote_spanned!(first=> ::goroutines::__private::#helper #args);
    quote_spanned! {here=>
        let #operand = &(#expr);
        let #channel = #call;
    }
}

/// `let fill = send_value(channel); let mut slot = fill(value);`: the value
/// evaluated at entry, kept in an `Option<T>` until its arm is chosen.
///
/// `fill` is `Some` for the sender's item type, called over the user's
/// tokens, so that a value of another type is a plain mismatch reported at
/// the value.
fn hold_value(slot: &Ident, channel: &Ident, fill: &Ident, value: &Expr) -> TokenStream {
    let (first, last) = span::ends(value);
    let fill_at_first = Ident::new(&fill.to_string(), Span::mixed_site().located_at(first));
    let mut parens = Group::new(Delimiter::Parenthesis, value.to_token_stream());
    parens.set_span(Span::call_site().located_at(last));
    quote! {
        let #fill = ::goroutines::__private::send_value(#channel);
        let mut #slot = #fill_at_first #parens;
    }
}

/// `if index == i0 { .. } else if index == i1 { .. } else { select_bad_index(index) }`.
fn if_chain(branches: &[(Ident, TokenStream)], index: &Ident) -> TokenStream {
    let mut chain = TokenStream::new();
    for (arm_index, branch) in branches {
        chain.extend(quote!(if #index == #arm_index { #branch } else));
    }
    chain.extend(quote!({ ::goroutines::__private::select_bad_index(#index) }));
    chain
}

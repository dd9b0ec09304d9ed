//! Reads the arguments and the item of `#[goroutines::main]` /
//! `#[goroutines::test]`.

use proc_macro2::TokenStream;
use syn::{Item, ItemFn};

use super::Kind;

/// An entry attribute and what it is on.
pub(crate) struct Entry {
    pub kind: Kind,
    /// The attribute's arguments, `#[goroutines::main(these)]`; none are
    /// supported yet.
    pub args: TokenStream,
    pub item: EntryItem,
}

/// The item under the attribute.
pub(crate) enum EntryItem {
    Fn(Box<ItemFn>),
    /// Anything but a fn; validation rejects it.
    Other(Box<Item>),
}

/// Parses the attribute's arguments and item; fails only when `item` is
/// not an item at all.
pub(crate) fn parse(kind: Kind, args: TokenStream, item: TokenStream) -> syn::Result<Entry> {
    let item = match syn::parse2::<Item>(item)? {
        Item::Fn(f) => EntryItem::Fn(Box::new(f)),
        other => EntryItem::Other(Box::new(other)),
    };
    Ok(Entry { kind, args, item })
}

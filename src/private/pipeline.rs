//! What `pipeline!` expands to: the runtime's builder, and the choice
//! between a `Receiver` source (used as is) and an iterator source (run in
//! a goroutine of its own), made by method resolution: an inherent method
//! of `Source<Receiver<T>>` is preferred over the trait method every
//! `Source<I: IntoIterator>` has.

use std::panic::Location;

pub use goroutines_runtime::pipeline::{Builder, Opts, DEFAULT_BUFFER};
use goroutines_runtime::Receiver;

/// The source expression, taken once by `take_builder`.
pub struct Source<S>(pub Option<S>);

impl<T: Send + 'static> Source<Receiver<T>> {
    /// A channel source: its values until it closes.
    #[track_caller]
    pub fn take_builder(&mut self) -> Builder<T> {
        let site = Location::caller();
        match self.0.take() {
            Some(rx) => Builder::from_receiver_at(rx, site),
            None => unreachable!("pipeline! takes its source once"),
        }
    }
}

/// An iterator source, for any `IntoIterator + Send + 'static`.
pub trait IterSource {
    /// What the source yields.
    type Item;
    /// A source that runs the iterator in a goroutine of its own.
    fn take_builder(&mut self) -> Builder<Self::Item>;
}

impl<I> IterSource for Source<I>
where
    I: IntoIterator + Send + 'static,
    I::Item: Send + 'static,
{
    type Item = I::Item;
    #[track_caller]
    fn take_builder(&mut self) -> Builder<I::Item> {
        let site = Location::caller();
        match self.0.take() {
            Some(items) => Builder::from_iter_at(items, DEFAULT_BUFFER, site),
            None => unreachable!("pipeline! takes its source once"),
        }
    }
}

//! What one stage does with one item: the six stage kinds of `pipeline!`
//! behind one trait, so the goroutines that run stages (`mod.rs`) are
//! written once. Each kind is a struct around the user's closure, shared by
//! the stage's workers through an `Arc` (stage closures are `Fn`: with
//! `workers = N` they run on N goroutines at once, as Go's do).

use std::marker::PhantomData;
use std::sync::Arc;

use super::BoxError;

/// One stage's work on one input item. `emit` sends an output downstream
/// and returns `false` once downstream is gone (the pipeline is stopping);
/// `step` then returns `Ok(false)` and the stage ends. `Err` is a
/// `try_map` failure, which stops the whole pipeline.
pub trait Step<T>: Clone + Send + 'static {
    /// What the stage emits.
    type Out: Send + 'static;

    /// Feeds `item` through the stage.
    fn step(&self, item: T, emit: &mut impl FnMut(Self::Out) -> bool) -> Result<bool, BoxError>;
}

macro_rules! kind {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name<F, U> {
            f: Arc<F>,
            _out: PhantomData<fn() -> U>,
        }

        impl<F, U> $name<F, U> {
            /// Wraps the user's closure.
            pub fn new(f: F) -> Self {
                $name { f: Arc::new(f), _out: PhantomData }
            }
        }

        impl<F, U> Clone for $name<F, U> {
            fn clone(&self) -> Self {
                $name { f: self.f.clone(), _out: PhantomData }
            }
        }
    };
}

kind!(
    /// `map(f)`: one output per input.
    Map
);
kind!(
    /// `filter(f)`: the inputs `f` accepts.
    Filter
);
kind!(
    /// `filter_map(f)`: the `Some`s `f` returns.
    FilterMap
);
kind!(
    /// `flat_map(f)`: every item of what `f` returns.
    FlatMap
);
kind!(
    /// `try_map(f)`: the `Ok`s `f` returns; the first `Err` stops the
    /// pipeline and `Pipeline::wait` returns it.
    TryMap
);
kind!(
    /// `inspect(f)`: every input, unchanged, after `f` looked at it.
    Inspect
);

impl<T, U, F> Step<T> for Map<F, U>
where
    F: Fn(T) -> U + Send + Sync + 'static,
    U: Send + 'static,
{
    type Out = U;
    #[inline]
    fn step(&self, item: T, emit: &mut impl FnMut(U) -> bool) -> Result<bool, BoxError> {
        Ok(emit((self.f)(item)))
    }
}

impl<T, F> Step<T> for Filter<F, T>
where
    F: Fn(&T) -> bool + Send + Sync + 'static,
    T: Send + 'static,
{
    type Out = T;
    #[inline]
    fn step(&self, item: T, emit: &mut impl FnMut(T) -> bool) -> Result<bool, BoxError> {
        Ok(if (self.f)(&item) { emit(item) } else { true })
    }
}

impl<T, U, F> Step<T> for FilterMap<F, U>
where
    F: Fn(T) -> Option<U> + Send + Sync + 'static,
    U: Send + 'static,
{
    type Out = U;
    #[inline]
    fn step(&self, item: T, emit: &mut impl FnMut(U) -> bool) -> Result<bool, BoxError> {
        Ok(match (self.f)(item) {
            Some(v) => emit(v),
            None => true,
        })
    }
}

impl<T, I, F> Step<T> for FlatMap<F, I>
where
    F: Fn(T) -> I + Send + Sync + 'static,
    I: IntoIterator + 'static,
    I::Item: Send + 'static,
{
    type Out = I::Item;
    #[inline]
    fn step(&self, item: T, emit: &mut impl FnMut(I::Item) -> bool) -> Result<bool, BoxError> {
        for v in (self.f)(item) {
            if !emit(v) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

impl<T, U, E, F> Step<T> for TryMap<F, (U, E)>
where
    F: Fn(T) -> Result<U, E> + Send + Sync + 'static,
    U: Send + 'static,
    E: Into<BoxError> + 'static,
{
    type Out = U;
    #[inline]
    fn step(&self, item: T, emit: &mut impl FnMut(U) -> bool) -> Result<bool, BoxError> {
        match (self.f)(item) {
            Ok(v) => Ok(emit(v)),
            Err(e) => Err(e.into()),
        }
    }
}

impl<T, F> Step<T> for Inspect<F, T>
where
    F: Fn(&T) + Send + Sync + 'static,
    T: Send + 'static,
{
    type Out = T;
    #[inline]
    fn step(&self, item: T, emit: &mut impl FnMut(T) -> bool) -> Result<bool, BoxError> {
        (self.f)(&item);
        Ok(emit(item))
    }
}

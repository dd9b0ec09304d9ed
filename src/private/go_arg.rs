//! The check `go!`'s call form puts on each value it moves into a goroutine:
//! one value at a time, so a value that is not `Send` is reported at the
//! user's argument, with a message that says what to do.
//!
//! `go!(f(a, b))` expands to
//! `let x = go_arg(a); ...; spawn(move || f(x.into_inner(), ..))`.

use std::marker::PhantomData;

/// `Send`, under a name whose error says what to do. Implemented for every
/// `Send` type and only for them: `Send` is a supertrait, so no impl can add
/// a type that is not `Send`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be moved into a goroutine: it is not `Send`",
    label = "this value is not `Send`",
    note = "use `Arc` instead of `Rc`, `Mutex` instead of `RefCell`, or create the value inside the goroutine"
)]
pub trait SendToGoroutine: Send {}

impl<T: Send + ?Sized> SendToGoroutine for T {}

/// A value `go!` evaluated in the caller for its goroutine, checked to be
/// `Send` by [`go_arg`], its only constructor.
///
/// `GoArg` is `Send` whatever `T` is, so that when the check fails the
/// closure holding the value does not fail `spawn`'s `Send` bound as well:
/// one mistake, one error. `T` is invariant (`fn(T) -> T`), so no subtyping
/// turns the type `go_arg` checked into another one.
pub struct GoArg<T>(T, PhantomData<fn(T) -> T>);

// A `GoArg<T>` exists only if `go_arg::<T>` built it (the field is
// private), which requires `T: SendToGoroutine`, hence `T: Send` (a
// supertrait no impl can bypass); `T` is invariant, so that is the type sent.
// SAFETY: so every `GoArg<T>` that exists holds a `Send` value.
unsafe impl<T> Send for GoArg<T> {}

/// Checks that `value` may move into a goroutine; the error for a value that
/// is not `Send` points at the expression given here.
#[inline(always)]
pub fn go_arg<T: SendToGoroutine>(value: T) -> GoArg<T> {
    GoArg(value, PhantomData)
}

impl<T> GoArg<T> {
    /// The value, inside the goroutine.
    #[inline(always)]
    pub fn into_inner(self) -> T {
        self.0
    }
}

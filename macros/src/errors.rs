//! `Errors`: independent mistakes, collected and reported together
//! (serde_derive's `Ctxt`), so one run of the compiler shows them all.

use syn::Error;

#[derive(Default)]
pub(crate) struct Errors(Option<Error>);

impl Errors {
    pub(crate) fn push(&mut self, err: Error) {
        match &mut self.0 {
            Some(all) => all.combine(err),
            None => self.0 = Some(err),
        }
    }

    /// All the errors as one, if any.
    pub(crate) fn into_error(self) -> Option<Error> {
        self.0
    }
}

//! `Token`: what the first phase of an operation (reserving a slot, or
//! pairing with a blocked peer) hands to its second phase (moving the
//! message). Splitting the two is what lets `select` choose an operation
//! before completing it.

/// The reservation of a buffered channel operation.
#[derive(Debug)]
pub(crate) struct ArrayToken {
    /// The reserved slot, or null when the channel is closed.
    pub(crate) slot: *const u8,
    /// The stamp to store in the slot once the operation completes.
    pub(crate) stamp: usize,
}

impl Default for ArrayToken {
    fn default() -> Self {
        ArrayToken { slot: std::ptr::null(), stamp: 0 }
    }
}

/// A reserved operation, per flavor.
#[derive(Debug)]
pub(crate) struct Token {
    pub(crate) array: ArrayToken,
    /// The peer's packet (unbuffered channels), or null when closed.
    pub(crate) zero: *mut (),
}

impl Default for Token {
    fn default() -> Self {
        Token { array: ArrayToken::default(), zero: std::ptr::null_mut() }
    }
}

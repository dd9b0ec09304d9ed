//! What every socket type shares, written once: its timeouts and Go's
//! deadlines (desc.rs invariants 3 and 4), its file descriptor and pending
//! error, the IP sockets' TTL, and, for the stream types, `Read` and
//! `Write` for `T` and `&T`. Each type holds its registered socket as
//! `inner: Arc<Registered<_>>`.

/// Timeouts, deadlines, `try_clone`, `take_error` and the fd traits of
/// `$ty` (`@fd`: `take_error` and the fd traits alone; `@ip`: `ttl` and
/// `set_ttl`, for the IP sockets).
macro_rules! socket_common {
    ($ty:ident) => {
        impl $ty {
            /// std's per-operation read timeout (`None`: none; `Some(0)` is
            /// refused, as std refuses it). A read that times out fails
            /// with `TimedOut`.
            pub fn set_read_timeout(&self, timeout: Option<std::time::Duration>) -> std::io::Result<()> {
                self.inner.desc.set_timeout(super::desc::Dir::Read, timeout)
            }

            /// std's per-operation write timeout, as
            /// [`set_read_timeout`](Self::set_read_timeout).
            pub fn set_write_timeout(&self, timeout: Option<std::time::Duration>) -> std::io::Result<()> {
                self.inner.desc.set_timeout(super::desc::Dir::Write, timeout)
            }

            /// The read timeout.
            pub fn read_timeout(&self) -> std::io::Result<Option<std::time::Duration>> {
                Ok(self.inner.desc.timeout(super::desc::Dir::Read))
            }

            /// The write timeout.
            pub fn write_timeout(&self) -> std::io::Result<Option<std::time::Duration>> {
                Ok(self.inner.desc.timeout(super::desc::Dir::Write))
            }

            /// Go's `SetDeadline`: both deadlines at once.
            pub fn set_deadline(&self, deadline: Option<std::time::Instant>) -> std::io::Result<()> {
                self.set_read_deadline(deadline)?;
                self.set_write_deadline(deadline)
            }

            /// Go's `SetReadDeadline`: reads fail with `TimedOut` once
            /// `deadline` has passed, a read already waiting included.
            /// `None` clears it.
            pub fn set_read_deadline(&self, deadline: Option<std::time::Instant>) -> std::io::Result<()> {
                self.inner.desc.set_deadline(super::desc::Dir::Read, deadline);
                Ok(())
            }

            /// Go's `SetWriteDeadline`, as
            /// [`set_read_deadline`](Self::set_read_deadline).
            pub fn set_write_deadline(&self, deadline: Option<std::time::Instant>) -> std::io::Result<()> {
                self.inner.desc.set_deadline(super::desc::Dir::Write, deadline);
                Ok(())
            }

            /// Another handle to the same socket. Unlike std's (a `dup`),
            /// clones share one registration: its timeouts, its deadlines
            /// and a `close`.
            pub fn try_clone(&self) -> std::io::Result<$ty> {
                Ok(self.clone())
            }
        }

        socket_common!(@fd $ty);
    };
    (@ip $ty:ident) => {
        impl $ty {
            /// Sets `IP_TTL`.
            pub fn set_ttl(&self, ttl: u32) -> std::io::Result<()> {
                self.inner.io().set_ttl(ttl)
            }

            /// Reads `IP_TTL`.
            pub fn ttl(&self) -> std::io::Result<u32> {
                self.inner.io().ttl()
            }
        }
    };
    (@fd $ty:ident) => {
        impl $ty {
            /// Takes the socket's pending error (`SO_ERROR`).
            pub fn take_error(&self) -> std::io::Result<Option<std::io::Error>> {
                self.inner.io().take_error()
            }
        }

        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(self.inner.io())
            }
        }

        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                std::os::fd::AsFd::as_fd(self.inner.io())
            }
        }
    };
}

/// `Read` and `Write` for `$ty` and `&$ty`, suspending on `WouldBlock`.
macro_rules! stream_io {
    ($ty:ident) => {
        impl std::io::Read for &$ty {
            #[track_caller]
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.inner.read_stream(buf, |mut io, b| std::io::Read::read(&mut io, b))
            }

            #[track_caller]
            fn read_vectored(&mut self, bufs: &mut [std::io::IoSliceMut<'_>]) -> std::io::Result<usize> {
                // Into the first buffer that is not empty, as std's default.
                let buf = bufs.iter_mut().find(|b| !b.is_empty()).map_or(&mut [][..], |b| &mut **b);
                self.inner.read_stream(buf, |mut io, b| std::io::Read::read(&mut io, b))
            }
        }

        impl std::io::Write for &$ty {
            #[track_caller]
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.inner.run(super::desc::Dir::Write, |mut io| std::io::Write::write(&mut io, buf))
            }

            #[track_caller]
            fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                self.inner.run(super::desc::Dir::Write, |mut io| std::io::Write::write_vectored(&mut io, bufs))
            }

            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }

        impl std::io::Read for $ty {
            #[track_caller]
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                std::io::Read::read(&mut &*self, buf)
            }

            #[track_caller]
            fn read_vectored(&mut self, bufs: &mut [std::io::IoSliceMut<'_>]) -> std::io::Result<usize> {
                std::io::Read::read_vectored(&mut &*self, bufs)
            }
        }

        impl std::io::Write for $ty {
            #[track_caller]
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                std::io::Write::write(&mut &*self, buf)
            }

            #[track_caller]
            fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                std::io::Write::write_vectored(&mut &*self, bufs)
            }

            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
    };
}

/// `into_std` while clones share the socket.
pub(crate) fn shared() -> std::io::Error {
    std::io::Error::other("other clones of this socket are alive (try_clone): drop them first")
}

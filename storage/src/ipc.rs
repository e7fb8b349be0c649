//! Process plumbing between the postmaster and its children: handing a client
//! socket to an exec'd backend on a fixed descriptor, and taking it back out.
//!
//! PostgreSQL's `postmaster.c` forks and the child simply keeps the socket; we
//! fork *and exec*, so the socket crosses `exec` as descriptor [`CLIENT_SOCKET_FD`]
//! (every other descriptor of the postmaster is close-on-exec). The `unsafe` here
//! is the `pre_exec` hook and adopting a raw descriptor, each with its reasoning.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};

use nix::sys::signal::{SigSet, SigmaskHow, sigprocmask};

/// The descriptor on which a client backend finds its connection.
pub const CLIENT_SOCKET_FD: RawFd = 3;

/// Spawns `cmd` (fork + exec) with `socket`, if given, on [`CLIENT_SOCKET_FD`], and
/// all signals unblocked in the child whatever the parent's mask is.
pub fn spawn_child(cmd: &mut Command, socket: Option<BorrowedFd<'_>>) -> io::Result<Child> {
    let fd = socket.map(|s| s.as_raw_fd());
    // SAFETY: the hook runs in the forked child before exec and calls only
    // async-signal-safe functions (dup2, fcntl, sigprocmask); it allocates nothing
    // and touches no lock the parent might have held at fork time.
    unsafe {
        cmd.pre_exec(move || {
            if let Some(fd) = fd {
                if fd == CLIENT_SOCKET_FD {
                    // dup2 onto itself keeps close-on-exec: clear the flag instead.
                    let flags = nix::fcntl::fcntl(
                        BorrowedFd::borrow_raw(fd),
                        nix::fcntl::FcntlArg::F_GETFD,
                    )?;
                    let mut flags = nix::fcntl::FdFlag::from_bits_truncate(flags);
                    flags.remove(nix::fcntl::FdFlag::FD_CLOEXEC);
                    nix::fcntl::fcntl(
                        BorrowedFd::borrow_raw(fd),
                        nix::fcntl::FcntlArg::F_SETFD(flags),
                    )?;
                } else if libc_dup2(fd, CLIENT_SOCKET_FD) < 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None)?;
            Ok(())
        });
    }
    cmd.spawn()
}

fn libc_dup2(old: RawFd, new: RawFd) -> i32 {
    // nix's safe dup2 wrappers take owned descriptors; between fork and exec we
    // only have the number, so call libc directly (async-signal-safe).
    // SAFETY: dup2 takes two plain integers; an invalid one makes it fail with EBADF.
    unsafe { nix::libc::dup2(old, new) }
}

/// The client connection a backend inherited on [`CLIENT_SOCKET_FD`].
#[derive(Debug)]
pub enum InheritedSocket {
    Tcp(std::net::TcpStream),
    Unix(std::os::unix::net::UnixStream),
}

/// Takes ownership of the client socket on [`CLIENT_SOCKET_FD`]. Call once.
pub fn take_client_socket() -> io::Result<InheritedSocket> {
    // Check the descriptor is an open socket before adopting it.
    let raw = CLIENT_SOCKET_FD;
    let addr = nix::sys::socket::getsockname::<nix::sys::socket::SockaddrStorage>(raw)
        .map_err(|e| io::Error::other(format!("descriptor {raw} is not the client socket: {e}")))?;
    // SAFETY: the postmaster put a socket on this descriptor for us (getsockname
    // just succeeded on it), nothing else in this process owns it, and this
    // function is called once, so the OwnedFd is its only owner.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    nix::fcntl::fcntl(
        &fd,
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
    )?;
    if addr.as_unix_addr().is_some() {
        Ok(InheritedSocket::Unix(std::os::unix::net::UnixStream::from(
            fd,
        )))
    } else {
        Ok(InheritedSocket::Tcp(std::net::TcpStream::from(fd)))
    }
}

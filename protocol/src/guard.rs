//! A byte-stream guard for the typed messages that follow the startup packet.
//!
//! pgwire's decoder trusts the length word of each message; PostgreSQL closes
//! the connection when a message claims fewer than 4 bytes or more than the
//! protocol allows. [`MessageGuard`] sits between the socket and the decoder,
//! follows the framing (`type byte, int32 length including itself, payload`) and
//! turns a bad length into an error of kind `InvalidData` that carries
//! [`FramingError`]; the valid messages before it are still delivered.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The largest message we accept (PostgreSQL's limit for most messages is 1 GB).
pub const MAX_MESSAGE_LEN: u32 = 0x3fff_ffff;

/// A framing violation found by the guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    #[error("invalid message length {length} for message type \"{message_type}\"")]
    BadLength { message_type: char, length: u32 },
}

/// Wraps the client stream after the startup packet has been read.
pub struct MessageGuard<S> {
    inner: S,
    header: [u8; 5],
    header_len: usize,
    /// Payload bytes of the current message still to come.
    remaining: u64,
    pending_error: Option<FramingError>,
}

impl<S> MessageGuard<S> {
    pub fn new(inner: S) -> MessageGuard<S> {
        MessageGuard {
            inner,
            header: [0; 5],
            header_len: 0,
            remaining: 0,
            pending_error: None,
        }
    }

    /// Follows the framing over `data`; returns the offset of the first byte of
    /// an invalid message header, if one is found (the header may have begun in
    /// an earlier chunk: then the offset is 0).
    fn scan(&mut self, data: &[u8]) -> Option<(usize, FramingError)> {
        let mut i = 0;
        while i < data.len() {
            if self.remaining > 0 {
                let skip = self.remaining.min((data.len() - i) as u64) as usize;
                i += skip;
                self.remaining -= skip as u64;
                continue;
            }
            let header_start = i.saturating_sub(self.header_len);
            while self.header_len < 5 && i < data.len() {
                self.header[self.header_len] = data[i];
                self.header_len += 1;
                i += 1;
            }
            if self.header_len < 5 {
                break;
            }
            self.header_len = 0;
            let length = u32::from_be_bytes([
                self.header[1],
                self.header[2],
                self.header[3],
                self.header[4],
            ]);
            if !(4..=MAX_MESSAGE_LEN).contains(&length) {
                let err = FramingError::BadLength {
                    message_type: char::from(self.header[0]),
                    length,
                };
                return Some((header_start, err));
            }
            self.remaining = u64::from(length - 4);
        }
        None
    }
}

fn framing(e: FramingError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

impl<S: AsyncRead + Unpin> AsyncRead for MessageGuard<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(e) = self.pending_error.take() {
            return Poll::Ready(Err(framing(e)));
        }
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let this = &mut *self;
                let found = this.scan(&buf.filled()[before..]);
                if let Some((offset, e)) = found {
                    if offset == 0 {
                        return Poll::Ready(Err(framing(e)));
                    }
                    buf.set_filled(before + offset);
                    self.pending_error = Some(e);
                }
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for MessageGuard<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    fn msg(t: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![t];
        v.extend_from_slice(&((payload.len() + 4) as u32).to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    #[tokio::test]
    async fn valid_messages_pass_and_a_bad_length_stops_the_stream() {
        let mut bytes = msg(b'Q', b"select 1\0");
        bytes.extend(msg(b'S', b""));
        let good = bytes.len();
        bytes.extend_from_slice(&[b'Q', 0, 0, 0, 2]);
        let mut g = MessageGuard::new(&bytes[..]);
        let mut out = Vec::new();
        let err = g.read_to_end(&mut out).await.expect_err("bad length");
        assert_eq!(
            out.len(),
            good,
            "the valid messages before the bad one are delivered"
        );
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        let inner = err
            .get_ref()
            .and_then(|e| e.downcast_ref::<FramingError>())
            .copied();
        assert_eq!(
            inner,
            Some(FramingError::BadLength {
                message_type: 'Q',
                length: 2
            })
        );
    }

    #[test]
    fn headers_split_across_reads_are_followed() {
        let mut g = MessageGuard::new(());
        let m = msg(b'P', b"abc");
        assert!(g.scan(&m[..2]).is_none());
        assert!(g.scan(&m[2..6]).is_none());
        assert!(g.scan(&m[6..]).is_none());
        assert_eq!(g.remaining, 0);
        let huge = [b'B', 0x7f, 0xff, 0xff, 0xff];
        assert!(matches!(
            g.scan(&huge),
            Some((0, FramingError::BadLength { .. }))
        ));
    }
}

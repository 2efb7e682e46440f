//! Framing on byte streams: each control message is a 4-byte little-endian length and the
//! encoded message. [`FrameReader`] is sans-IO: feed it bytes, take whole frames out.

/// Which logical channel a WebSocket message belongs to (its first byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Channel {
    Control = 0,
    Datagram = 1,
}

impl Channel {
    pub fn from_u8(v: u8) -> Option<Channel> {
        match v {
            0 => Some(Channel::Control),
            1 => Some(Channel::Datagram),
            _ => None,
        }
    }
}

/// A frame longer than the channel allows.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("frame of {size} bytes exceeds the limit of {limit}")]
pub struct FrameTooLarge {
    pub size: usize,
    pub limit: usize,
}

/// Prefixes `payload` with its length.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + payload.len());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Splits a byte stream into frames, refusing any longer than `limit`.
#[derive(Debug)]
pub struct FrameReader {
    buf: Vec<u8>,
    limit: usize,
}

impl FrameReader {
    pub fn new(limit: usize) -> Self {
        FrameReader { buf: Vec::new(), limit }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole frame, if one has arrived.
    pub fn next_frame(&mut self) -> Result<Option<Vec<u8>>, FrameTooLarge> {
        if self.buf.len() < 4 {
            return Ok(None);
        }
        let size = u32::from_le_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]) as usize;
        if size > self.limit {
            return Err(FrameTooLarge { size, limit: self.limit });
        }
        if self.buf.len() < 4 + size {
            return Ok(None);
        }
        let payload = self.buf[4..4 + size].to_vec();
        self.buf.drain(..4 + size);
        Ok(Some(payload))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_split_across_reads() {
        let mut r = FrameReader::new(16);
        let mut bytes = frame(b"hello");
        bytes.extend(frame(b"world!"));
        r.push(&bytes[..3]);
        assert_eq!(r.next_frame(), Ok(None));
        r.push(&bytes[3..9]);
        assert_eq!(r.next_frame(), Ok(Some(b"hello".to_vec())));
        assert_eq!(r.next_frame(), Ok(None));
        r.push(&bytes[9..]);
        assert_eq!(r.next_frame(), Ok(Some(b"world!".to_vec())));
    }

    #[test]
    fn oversized_frame_is_refused_before_it_arrives() {
        let mut r = FrameReader::new(16);
        r.push(&frame(&[0; 17])[..4]);
        assert_eq!(r.next_frame(), Err(FrameTooLarge { size: 17, limit: 16 }));
    }
}

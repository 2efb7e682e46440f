//! Bit packing for the snapshot datagram: most-significant bit first, with exponential-Golomb
//! codes for small numbers. Mirrored by `browser-client/src/bits.ts`.
//!
//! An exp-Golomb code of order `k` writes `q = v + 2^k` as `(bitlen(q) - k - 1)` zero bits and
//! then `q` in `bitlen(q)` bits: `v = 0` costs `k + 1` bits, and each doubling one more pair.
//! Signed numbers are zigzagged first (0, -1, 1, -2, … become 0, 1, 2, 3, …).

/// Something bits are written to: the real writer, or a counter to size a message.
pub trait BitSink {
    /// Writes the low `n` bits of `v` (n ≤ 64), most significant first.
    fn put(&mut self, v: u64, n: u32);

    fn bit(&mut self, b: bool) {
        self.put(u64::from(b), 1);
    }

    /// Unsigned exp-Golomb of order `k` (v < 2^63).
    fn eg(&mut self, v: u64, k: u32) {
        let q = v + (1 << k);
        let n = 64 - q.leading_zeros();
        self.put(0, n - k - 1);
        self.put(q, n);
    }

    /// Signed exp-Golomb of order `k`.
    fn seg(&mut self, v: i64, k: u32) {
        self.eg(zigzag(v), k);
    }

    /// A number of up to 63 bits: its bit length in 6 bits, then the bits.
    fn var(&mut self, v: u64) {
        let n = 64 - v.leading_zeros();
        debug_assert!(n < 64, "var values stay below 2^63");
        self.put(u64::from(n), 6);
        self.put(v, n);
    }
}

/// Writes bits into bytes.
#[derive(Debug, Default)]
pub struct BitWriter {
    bytes: Vec<u8>,
    /// Bits pending, left-aligned at bit 63 down.
    acc: u64,
    pending: u32,
}

impl BitWriter {
    /// A writer with room for `bytes` bytes before it grows.
    pub fn with_capacity(bytes: usize) -> Self {
        BitWriter { bytes: Vec::with_capacity(bytes), ..Self::default() }
    }

    /// The bytes written, the last one padded with zero bits.
    pub fn finish(mut self) -> Vec<u8> {
        let whole = self.pending.div_ceil(8) as usize;
        self.bytes.extend_from_slice(&self.acc.to_be_bytes()[..whole]);
        self.bytes
    }

    /// Bits written so far.
    pub fn bits(&self) -> usize {
        self.bytes.len() * 8 + self.pending as usize
    }
}

impl BitSink for BitWriter {
    fn put(&mut self, v: u64, n: u32) {
        if n == 0 {
            return;
        }
        if n > 32 {
            self.put(v >> 32, n - 32);
            self.put(v & 0xffff_ffff, 32);
            return;
        }
        // Fewer than 32 bits are pending, so 64 hold them and the new ones.
        let v = v & ((1u64 << n) - 1);
        self.acc |= v << (64 - self.pending - n);
        self.pending += n;
        if self.pending >= 32 {
            self.bytes.extend_from_slice(&((self.acc >> 32) as u32).to_be_bytes());
            self.acc <<= 32;
            self.pending -= 32;
        }
    }
}

/// Counts the bits a message would take.
#[derive(Debug, Default, Clone, Copy)]
pub struct BitCounter {
    pub bits: usize,
}

impl BitSink for BitCounter {
    fn put(&mut self, _v: u64, n: u32) {
        self.bits += n as usize;
    }
}

/// Bytes that ran out, or a code no writer produces.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum BitError {
    #[error("message ends inside a field")]
    Truncated,
    #[error("exp-Golomb code longer than 40 bits")]
    CodeTooLong,
    #[error("padding after the message is not zero, or longer than a byte")]
    BadPadding,
}

/// Reads bits from bytes.
#[derive(Debug)]
pub struct BitReader<'a> {
    bytes: &'a [u8],
    /// Bits read so far.
    at: usize,
}

impl<'a> BitReader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        BitReader { bytes, at: 0 }
    }

    /// Bits not read yet.
    pub fn remaining(&self) -> usize {
        self.bytes.len() * 8 - self.at
    }

    /// The next 64 bits, left-aligned, zeros past the end; does not move.
    fn peek(&self) -> u64 {
        // `at` never passes the end, so `start` is at most the length.
        let start = self.at / 8;
        let mut word = [0u8; 9];
        let avail = (self.bytes.len() - start).min(9);
        word[..avail].copy_from_slice(&self.bytes[start..start + avail]);
        let shift = (self.at % 8) as u32;
        let high = u64::from_be_bytes(word[..8].try_into().expect("eight bytes"));
        (high << shift) | (u64::from(word[8]) >> (8 - shift))
    }

    pub fn get(&mut self, n: u32) -> Result<u64, BitError> {
        if n as usize > self.remaining() {
            return Err(BitError::Truncated);
        }
        if n == 0 {
            return Ok(0);
        }
        let v = self.peek() >> (64 - n);
        self.at += n as usize;
        Ok(v)
    }

    pub fn bit(&mut self) -> Result<bool, BitError> {
        Ok(self.get(1)? == 1)
    }

    pub fn eg(&mut self, k: u32) -> Result<u64, BitError> {
        // The code is too long once its (41 - k)th leading zero is read.
        let zeros = self.peek().leading_zeros();
        let too_long = 41u32.saturating_sub(k).max(1);
        if zeros >= too_long && too_long as usize <= self.remaining() {
            return Err(BitError::CodeTooLong);
        }
        if zeros as usize >= self.remaining() {
            return Err(BitError::Truncated);
        }
        self.at += zeros as usize + 1;
        let n = zeros + k;
        let rest = self.get(n)?;
        Ok(((1u64 << n) | rest) - (1 << k))
    }

    pub fn seg(&mut self, k: u32) -> Result<i64, BitError> {
        Ok(unzigzag(self.eg(k)?))
    }

    pub fn var(&mut self) -> Result<u64, BitError> {
        let n = self.get(6)? as u32;
        self.get(n)
    }

    /// Checks that only zero padding (less than a byte) is left.
    pub fn finish(mut self) -> Result<(), BitError> {
        let left = self.remaining();
        if left >= 8 || self.get(left as u32)? != 0 {
            return Err(BitError::BadPadding);
        }
        Ok(())
    }
}

pub fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

pub fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn exp_golomb_lengths_are_as_documented() {
        let len = |v: u64, k: u32| {
            let mut c = BitCounter::default();
            c.eg(v, k);
            c.bits
        };
        assert_eq!([len(0, 0), len(1, 0), len(2, 0), len(3, 0), len(6, 0), len(7, 0)], [1, 3, 3, 5, 5, 7]);
        assert_eq!([len(0, 3), len(7, 3), len(8, 3)], [4, 4, 6]);
        let mut w = BitWriter::default();
        w.eg(3, 0); // 00100
        w.bit(true);
        assert_eq!(w.finish(), [0b0010_0100]);
    }

    #[derive(Debug, Clone)]
    enum Field {
        Put(u64, u32),
        Eg(u64, u32),
        Seg(i64, u32),
        Var(u64),
    }

    fn field() -> impl Strategy<Value = Field> {
        prop_oneof![
            (any::<u64>(), 0u32..=64).prop_map(|(v, n)| Field::Put(if n == 64 { v } else { v & ((1 << n) - 1) }, n)),
            (0u64..(1 << 38), 0u32..=2).prop_map(|(v, k)| Field::Eg(v, k)),
            (-(1i64 << 36)..(1 << 36), 0u32..=3).prop_map(|(v, k)| Field::Seg(v, k)),
            (0u64..(1 << 63)).prop_map(Field::Var),
        ]
    }

    proptest! {
        #[test]
        fn what_is_written_reads_back(fields in prop::collection::vec(field(), 0..40)) {
            let mut w = BitWriter::default();
            let mut c = BitCounter::default();
            for f in &fields {
                for sink in [&mut w as &mut dyn BitSink, &mut c] {
                    match *f {
                        Field::Put(v, n) => sink.put(v, n),
                        Field::Eg(v, k) => sink.eg(v, k),
                        Field::Seg(v, k) => sink.seg(v, k),
                        Field::Var(v) => sink.var(v),
                    }
                }
            }
            prop_assert_eq!(w.bits(), c.bits);
            let bytes = w.finish();
            prop_assert_eq!(bytes.len(), c.bits.div_ceil(8));
            let mut r = BitReader::new(&bytes);
            for f in &fields {
                match *f {
                    Field::Put(v, n) => prop_assert_eq!(r.get(n).unwrap(), v),
                    Field::Eg(v, k) => prop_assert_eq!(r.eg(k).unwrap(), v),
                    Field::Seg(v, k) => prop_assert_eq!(r.seg(k).unwrap(), v),
                    Field::Var(v) => prop_assert_eq!(r.var().unwrap(), v),
                }
            }
            prop_assert_eq!(r.finish(), Ok(()));
        }
    }

    /// The reader's specification: one bit at a time.
    struct BitByBit<'a>(&'a [u8], usize);

    impl BitByBit<'_> {
        fn bit(&mut self) -> Result<bool, BitError> {
            let byte = self.0.get(self.1 / 8).ok_or(BitError::Truncated)?;
            self.1 += 1;
            Ok((byte >> (7 - (self.1 - 1) % 8)) & 1 == 1)
        }

        fn get(&mut self, n: u32) -> Result<u64, BitError> {
            if n as usize > self.0.len() * 8 - self.1 {
                return Err(BitError::Truncated);
            }
            (0..n).try_fold(0, |v, _| Ok((v << 1) | u64::from(self.bit()?)))
        }

        fn eg(&mut self, k: u32) -> Result<u64, BitError> {
            let mut zeros = 0;
            while !self.bit()? {
                zeros += 1;
                if zeros + k > 40 {
                    return Err(BitError::CodeTooLong);
                }
            }
            let n = zeros + k;
            Ok(((1u64 << n) | self.get(n)?) - (1 << k))
        }
    }

    proptest! {
        #[test]
        fn reading_any_bytes_agrees_with_reading_bit_by_bit(
            bytes in prop::collection::vec(prop_oneof![Just(0u8), any::<u8>()], 0..24),
            reads in prop::collection::vec((any::<bool>(), 0u32..=64), 0..30),
        ) {
            let (mut fast, mut slow) = (BitReader::new(&bytes), BitByBit(&bytes, 0));
            for (golomb, n) in reads {
                if golomb {
                    prop_assert_eq!(fast.eg(n % 4), slow.eg(n % 4));
                } else {
                    prop_assert_eq!(fast.get(n), slow.get(n));
                }
                if fast.at != slow.1 {
                    // After an error the two may stop at different bits; both are abandoned.
                    break;
                }
            }
        }
    }

    #[test]
    fn short_input_and_garbage_are_errors_not_panics() {
        assert_eq!(BitReader::new(&[]).bit(), Err(BitError::Truncated));
        assert_eq!(BitReader::new(&[0, 0, 0, 0, 0, 0]).eg(0), Err(BitError::CodeTooLong));
        assert_eq!(BitReader::new(&[0b0000_0001]).eg(0), Err(BitError::Truncated));
        let mut r = BitReader::new(&[0b1000_0001]);
        r.bit().unwrap();
        assert_eq!(r.finish(), Err(BitError::BadPadding));
        assert_eq!(BitReader::new(&[0, 0]).finish(), Err(BitError::BadPadding));
    }
}

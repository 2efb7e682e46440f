//! A small multilayer perceptron in fixed point, and its weights file.
//!
//! Numbers are Q8 (256 is 1.0): inputs and weights are `i16`, each layer's sums are `i64`
//! taken in a fixed order (input by input), shifted back to Q8, clamped to `i16` and passed
//! through ReLU (all layers but the last). The same weights and inputs give the same outputs
//! on every machine: a fight continues the same on the zone that restores it.
//!
//! The file (little-endian): `MMOB`, the format version (u16, 1), the policy version (u16),
//! the number of layers (u16), then per layer its inputs and outputs (u16 each), its weights
//! (outputs rows of inputs `i16`), its biases (outputs `i16`).

use thiserror::Error;

/// Q8: 1.0 is `1 << SHIFT`.
pub const SHIFT: u32 = 8;
pub const ONE: i16 = 1 << SHIFT;
const MAGIC: &[u8; 4] = b"MMOB";
const FORMAT: u16 = 1;

/// Why a weights file was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum WeightsError {
    #[error("not a weights file (magic {0:?})")]
    Magic([u8; 4]),
    #[error("weights format {0}, this build reads {FORMAT}")]
    Format(u16),
    #[error("the file ends early, at byte {0}")]
    Short(usize),
    #[error("{0} bytes after the last layer")]
    Trailing(usize),
    #[error("layer {layer} takes {inputs} inputs, the layer before gives {expected}")]
    Shape { layer: usize, inputs: usize, expected: usize },
    #[error("the policy takes {got} inputs and gives {outputs} outputs, the layout wants {want_in} and {want_out}")]
    Layout { got: usize, outputs: usize, want_in: usize, want_out: usize },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    pub inputs: usize,
    pub outputs: usize,
    /// `outputs` rows of `inputs` weights.
    pub weights: Vec<i16>,
    pub biases: Vec<i16>,
}

impl Layer {
    /// This layer's outputs for `x` (Q8), ReLU'd unless it is the last.
    fn forward(&self, x: &[i16], relu: bool, out: &mut Vec<i16>) {
        out.clear();
        for (row, &bias) in self.weights.chunks_exact(self.inputs).zip(&self.biases) {
            let mut sum = i64::from(bias) << SHIFT;
            for (&w, &v) in row.iter().zip(x) {
                sum += i64::from(w) * i64::from(v);
            }
            let v = (sum >> SHIFT).clamp(i64::from(i16::MIN), i64::from(i16::MAX)) as i16;
            out.push(if relu { v.max(0) } else { v });
        }
    }
}

/// A perceptron: its layers, and the version of the policy they hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mlp {
    pub version: u16,
    pub layers: Vec<Layer>,
}

impl Mlp {
    pub fn inputs(&self) -> usize {
        self.layers.first().map_or(0, |l| l.inputs)
    }

    pub fn outputs(&self) -> usize {
        self.layers.last().map_or(0, |l| l.outputs)
    }

    /// How many weights and biases it has.
    pub fn parameters(&self) -> usize {
        self.layers.iter().map(|l| l.weights.len() + l.biases.len()).sum()
    }

    /// The outputs for `x` (Q8, as many as [`Mlp::inputs`]).
    pub fn forward(&self, x: &[i16]) -> Vec<i16> {
        let (mut a, mut b) = (x.to_vec(), Vec::new());
        for (i, layer) in self.layers.iter().enumerate() {
            layer.forward(&a, i + 1 < self.layers.len(), &mut b);
            std::mem::swap(&mut a, &mut b);
        }
        a
    }

    /// The index of the largest output (the first of equal ones).
    pub fn argmax(&self, x: &[i16]) -> usize {
        let out = self.forward(x);
        out.iter().enumerate().fold(0, |best, (i, v)| if *v > out[best] { i } else { best })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend(MAGIC);
        for v in [FORMAT, self.version, self.layers.len() as u16] {
            b.extend(v.to_le_bytes());
        }
        for l in &self.layers {
            b.extend((l.inputs as u16).to_le_bytes());
            b.extend((l.outputs as u16).to_le_bytes());
            for v in l.weights.iter().chain(&l.biases) {
                b.extend(v.to_le_bytes());
            }
        }
        b
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Mlp, WeightsError> {
        let mut r = Reader { bytes, at: 0 };
        let magic: [u8; 4] = r.take(4)?.try_into().expect("four bytes");
        if &magic != MAGIC {
            return Err(WeightsError::Magic(magic));
        }
        let format = r.u16()?;
        if format != FORMAT {
            return Err(WeightsError::Format(format));
        }
        let version = r.u16()?;
        let count = r.u16()?;
        let mut layers: Vec<Layer> = Vec::new();
        for layer in 0..usize::from(count) {
            let (inputs, outputs) = (usize::from(r.u16()?), usize::from(r.u16()?));
            if let Some(expected) = layers.last().map(|l| l.outputs).filter(|e| *e != inputs) {
                return Err(WeightsError::Shape { layer, inputs, expected });
            }
            let weights = r.i16s(inputs * outputs)?;
            let biases = r.i16s(outputs)?;
            layers.push(Layer { inputs, outputs, weights, biases });
        }
        if r.at != bytes.len() {
            return Err(WeightsError::Trailing(bytes.len() - r.at));
        }
        Ok(Mlp { version, layers })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WeightsError> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.bytes.len()).ok_or(WeightsError::Short(self.at))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn u16(&mut self) -> Result<u16, WeightsError> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().expect("two bytes")))
    }

    fn i16s(&mut self, n: usize) -> Result<Vec<i16>, WeightsError> {
        let bytes = self.take(n.checked_mul(2).ok_or(WeightsError::Short(self.at))?)?;
        Ok(bytes.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Mlp {
        Mlp {
            version: 3,
            layers: vec![
                // h0 = relu(x0 - x1), h1 = relu(x1 - x0 + 0.5)
                Layer { inputs: 2, outputs: 2, weights: vec![ONE, -ONE, -ONE, ONE], biases: vec![0, ONE / 2] },
                // y0 = h0, y1 = 2 h1
                Layer { inputs: 2, outputs: 2, weights: vec![ONE, 0, 0, 2 * ONE], biases: vec![0, 0] },
            ],
        }
    }

    #[test]
    fn forward_is_fixed_point_relu_then_linear() {
        let m = tiny();
        assert_eq!(m.forward(&[ONE, 0]), vec![ONE, 0]);
        assert_eq!(m.forward(&[0, ONE]), vec![0, 3 * ONE]);
        assert_eq!(m.argmax(&[ONE, 0]), 0);
        assert_eq!(m.argmax(&[0, 0]), 1, "h1 = 0.5 -> y1 = 1.0");
        // Sums saturate instead of wrapping.
        assert_eq!(m.forward(&[0, i16::MAX])[1], i16::MAX);
        assert_eq!(m.parameters(), 12);
    }

    #[test]
    fn the_file_round_trips_and_bad_files_are_named() {
        let m = tiny();
        let bytes = m.to_bytes();
        assert_eq!(Mlp::from_bytes(&bytes), Ok(m));
        assert_eq!(Mlp::from_bytes(b"NOPE"), Err(WeightsError::Magic(*b"NOPE")));
        assert_eq!(Mlp::from_bytes(&bytes[..bytes.len() - 1]), Err(WeightsError::Short(bytes.len() - 4)));
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(Mlp::from_bytes(&long), Err(WeightsError::Trailing(1)));
        let mut format = bytes.clone();
        format[4] = 9;
        assert_eq!(Mlp::from_bytes(&format), Err(WeightsError::Format(9)));
    }
}

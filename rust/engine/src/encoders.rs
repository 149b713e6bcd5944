//! The numerical encoders (docs/specification.md §5).
use crate::activity::Activity;
use crate::allocation::zeroed;
use crate::error::{EngineError, Result};

/// Which band layout an encoder uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncoderKind {
    /// The band slides from the first bit to the last and never wraps.
    Simple,
    /// The band starts anywhere and wraps past the end, so max and min sit side by side.
    Cyclic,
}

/// `SimpleEncoder` / `CyclicEncoder(min_value, max_value, length, sparsity)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NumericalEncoder {
    kind: EncoderKind,
    min_value: f64,
    max_value: f64,
    length: usize,
    width: usize,
}

impl NumericalEncoder {
    /// Needs finite `min_value < max_value`, `length >= 1` and `0 < sparsity <= 1`.
    pub fn new(kind: EncoderKind, min_value: f64, max_value: f64, length: usize, sparsity: f64) -> Result<Self> {
        if !min_value.is_finite() || !max_value.is_finite() || min_value >= max_value {
            return Err(EngineError::InvalidParameter {
                name: "min_value",
                message: format!("min_value must be below max_value, both finite; got {min_value} and {max_value}"),
            });
        }
        if !(max_value - min_value).is_finite() {
            return Err(EngineError::InvalidParameter {
                name: "max_value",
                message: format!("max_value - min_value overflows: {max_value} - {min_value}"),
            });
        }
        if length == 0 {
            return Err(EngineError::InvalidParameter {
                name: "length",
                message: "must be at least 1, got 0".into(),
            });
        }
        if sparsity.is_nan() || sparsity <= 0.0 || sparsity > 1.0 {
            return Err(EngineError::InvalidParameter {
                name: "sparsity",
                message: format!("must be in (0, 1], got {sparsity}"),
            });
        }
        let width = ((sparsity * length as f64).ceil() as usize).clamp(1, length);
        Ok(NumericalEncoder {
            kind,
            min_value,
            max_value,
            length,
            width,
        })
    }

    pub fn kind(&self) -> EncoderKind {
        self.kind
    }

    pub fn length(&self) -> usize {
        self.length
    }

    /// The number of active bits, `ceil(sparsity * length)`.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The first active bit for `value`.
    pub fn start(&self, value: f64) -> Result<usize> {
        if value.is_nan() || value < self.min_value || value > self.max_value {
            return Err(EngineError::InvalidValue(format!(
                "value {value} is outside the encoder's range [{}, {}]",
                self.min_value, self.max_value
            )));
        }
        let span = match self.kind {
            EncoderKind::Simple => self.length - self.width,
            EncoderKind::Cyclic => self.length - 1,
        };
        let fraction = (value - self.min_value) / (self.max_value - self.min_value);
        Ok((fraction * span as f64) as usize)
    }

    /// The active bits for `value`, in band order.
    pub fn on_bits(&self, value: f64) -> Result<impl Iterator<Item = usize>> {
        let start = self.start(value)?;
        let length = self.length;
        Ok((start..start + self.width).map(move |b| b % length))
    }

    /// Writes the encoding of `value` (0/1) into `out`, which must hold `length` values. A
    /// bad value or length leaves `out` unchanged.
    pub fn encode_into(&self, value: f64, out: &mut Activity) -> Result<()> {
        if out.size() != self.length {
            return Err(EngineError::ShapeMismatch {
                what: "encoder output".into(),
                expected: vec![self.length],
                found: vec![out.size()],
            });
        }
        // The band in ascending order: the part wrapped past the end first.
        let start = self.start(value)?;
        let end = start + self.width;
        let (wrapped, band) = if end > self.length {
            (0..end - self.length, start..self.length)
        } else {
            (0..0, start..end)
        };
        out.set_ones(wrapped.chain(band))
    }

    /// Writes the encodings of `values`, one row of `length` bits each, into `out` (which
    /// must hold `values.len() * length` bits; it is cleared first). A value outside the
    /// range is an error naming its position, found before anything is written.
    pub fn encode_rows(&self, values: &[f64], out: &mut [bool]) -> Result<()> {
        if out.len() != values.len() * self.length {
            return Err(EngineError::ShapeMismatch {
                what: "encoded rows".into(),
                expected: vec![values.len(), self.length],
                found: vec![out.len()],
            });
        }
        let mut starts = Vec::with_capacity(values.len());
        for (i, &value) in values.iter().enumerate() {
            starts.push(self.start(value).map_err(|err| match err {
                EngineError::InvalidValue(message) => EngineError::InvalidValue(format!("{message} (at position {i})")),
                other => other,
            })?);
        }
        out.fill(false);
        for (row, start) in out.chunks_exact_mut(self.length).zip(starts) {
            for b in start..start + self.width {
                row[b % self.length] = true;
            }
        }
        Ok(())
    }

    /// The encoding of `value` as a new vector.
    pub fn encode(&self, value: f64) -> Result<Vec<f64>> {
        let bits = self.on_bits(value)?;
        let mut out = zeroed(self.length, "an encoding")?;
        for b in bits {
            out[b] = 1.0;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_the_single_encodings() {
        for kind in [EncoderKind::Simple, EncoderKind::Cyclic] {
            let e = NumericalEncoder::new(kind, -1.5, 2.5, 13, 0.3).unwrap();
            let values = [-1.5, 0.3, 2.5, 1.7, 2.49];
            let mut out = vec![true; values.len() * 13];
            e.encode_rows(&values, &mut out).unwrap();
            for (row, &v) in out.chunks(13).zip(&values) {
                let single: Vec<bool> = e.encode(v).unwrap().iter().map(|&x| x == 1.0).collect();
                assert_eq!(row, &single[..], "{kind:?} {v}");
            }
            let err = e.encode_rows(&[0.0, 3.0], &mut [false; 26]).unwrap_err().to_string();
            assert!(err.contains('3') && err.ends_with("(at position 1)"), "{err}");
            assert!(e.encode_rows(&[0.0], &mut [false; 12]).is_err());
        }
    }

    fn bits(e: &NumericalEncoder, v: f64) -> String {
        e.encode(v)
            .unwrap()
            .iter()
            .map(|&b| if b == 1.0 { '1' } else { '0' })
            .collect()
    }

    #[test]
    fn spec_simple_vector() {
        let e = NumericalEncoder::new(EncoderKind::Simple, 1.0, 4.0, 5, 0.4).unwrap();
        let got: Vec<String> = [1.0, 2.0, 3.0, 4.0].iter().map(|&v| bits(&e, v)).collect();
        assert_eq!(got, ["11000", "01100", "00110", "00011"]);
    }

    #[test]
    fn spec_cyclic_vector() {
        let e = NumericalEncoder::new(EncoderKind::Cyclic, 1.0, 5.0, 5, 0.4).unwrap();
        let got: Vec<String> = [1.0, 2.0, 3.0, 4.0, 5.0].iter().map(|&v| bits(&e, v)).collect();
        assert_eq!(got, ["11000", "01100", "00110", "00011", "10001"]);
    }

    #[test]
    fn encoding_into_an_activity_equals_the_encoding() {
        let e = NumericalEncoder::new(EncoderKind::Cyclic, 0.0, 10.0, 12, 0.3).unwrap();
        let mut a = Activity::zeros(&[3, 4]).unwrap();
        for v in [0.0, 2.5, 9.0, 10.0, 9.9, 0.1] {
            e.encode_into(v, &mut a).unwrap();
            assert_eq!(a.values(), &e.encode(v).unwrap()[..], "{v}");
            let ones: Vec<usize> = (0..12).filter(|&i| a.values()[i] == 1.0).collect();
            assert_eq!(a.nonzero(), Some(&ones[..]));
        }
        for kind in [EncoderKind::Simple, EncoderKind::Cyclic] {
            for sparsity in [0.1, 0.5, 1.0] {
                let e = NumericalEncoder::new(kind, 0.0, 10.0, 12, sparsity).unwrap();
                for v in [0.0, 5.0, 9.5, 10.0] {
                    e.encode_into(v, &mut a).unwrap();
                    assert_eq!(a.values(), &e.encode(v).unwrap()[..], "{kind:?} {sparsity} {v}");
                    let mut bits: Vec<usize> = e.on_bits(v).unwrap().collect();
                    bits.sort_unstable();
                    assert_eq!(a.nonzero(), Some(&bits[..]));
                }
            }
        }
        // A bad value or length leaves the activity as it was.
        let before = a.clone();
        assert!(e.encode_into(11.0, &mut a).is_err());
        assert!(e.encode_into(f64::NAN, &mut a).is_err());
        assert_eq!(a, before);
        assert!(matches!(
            e.encode_into(1.0, &mut Activity::zeros(&[11]).unwrap()),
            Err(EngineError::ShapeMismatch { .. })
        ));
    }

    #[test]
    fn bad_parameters_and_values() {
        assert!(NumericalEncoder::new(EncoderKind::Simple, 2.0, 1.0, 5, 0.4).is_err());
        assert!(NumericalEncoder::new(EncoderKind::Simple, 0.0, 1.0, 0, 0.4)
            .unwrap_err()
            .to_string()
            .contains("length"));
        assert!(NumericalEncoder::new(EncoderKind::Simple, 0.0, 1.0, 5, 0.0)
            .unwrap_err()
            .to_string()
            .contains("sparsity"));
        let e = NumericalEncoder::new(EncoderKind::Cyclic, 0.0, 1.0, 5, 0.4).unwrap();
        assert!(e.encode(1.5).unwrap_err().to_string().contains("1.5"));
        assert!(e.encode(f64::NAN).is_err());
    }
}

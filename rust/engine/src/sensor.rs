//! The sensor of a network: the activity buffer the first groups read, written each step
//! either by a built-in numerical encoder from a value (docs/specification.md §5) or from
//! a pattern given whole (an encoder of the Python layer, or a probe's noisy input).
use crate::activity::{write, SharedActivity};
use crate::encoders::NumericalEncoder;
use crate::error::{EngineError, Result};

/// A sensor's output buffer and, when it has one, its built-in numerical encoder.
#[derive(Debug)]
pub struct Sensor {
    /// The encoder that turns values into the output; `None` when only patterns are fed.
    pub encoder: Option<NumericalEncoder>,
    pub output: SharedActivity,
}

/// What a run feeds the sensor, one entry per step.
#[derive(Debug, Clone, Copy)]
pub enum Inputs<'a> {
    /// Values the sensor's encoder encodes.
    Values(&'a [f64]),
    /// Patterns given whole: step `t` sets the sensor's output to 1 where
    /// `bits[t * width..(t + 1) * width]` is true and to 0 elsewhere.
    Patterns { bits: &'a [bool], width: usize },
}

impl Inputs<'_> {
    /// The number of steps.
    pub fn len(&self) -> usize {
        match self {
            Inputs::Values(values) => values.len(),
            Inputs::Patterns { bits, width } => bits.len().checked_div(*width).unwrap_or(0),
        }
    }

    /// Whether there are no steps.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first `steps` steps.
    pub fn prefix(&self, steps: usize) -> Self {
        match *self {
            Inputs::Values(values) => Inputs::Values(&values[..steps]),
            Inputs::Patterns { bits, width } => Inputs::Patterns {
                bits: &bits[..steps * width],
                width,
            },
        }
    }
}

impl Sensor {
    /// Encodes `value` into the sensor's output (a bad value leaves it unchanged).
    pub fn feed(&self, value: f64) -> Result<()> {
        self.encoder()?.encode_into(value, &mut write(&self.output))
    }

    /// Feeds step `t` of `inputs`.
    pub fn feed_step(&self, inputs: Inputs<'_>, t: usize) -> Result<()> {
        match inputs {
            Inputs::Values(values) => self.feed(values[t]),
            Inputs::Patterns { bits, width } => {
                let row = &bits[t * width..(t + 1) * width];
                write(&self.output).set_ones(row.iter().enumerate().filter(|(_, &on)| on).map(|(i, _)| i))
            }
        }
    }

    /// Checks that the sensor's encoder takes `value`, without changing anything.
    pub fn check_value(&self, value: f64) -> Result<()> {
        self.encoder()?.start(value).map(|_| ())
    }

    /// Checks that the sensor can take every step of `inputs`, without changing anything:
    /// every value in its encoder's range (the first bad one named with its position), or
    /// patterns as wide as the sensor.
    pub fn check(&self, inputs: Inputs<'_>) -> Result<()> {
        match inputs {
            Inputs::Values(values) => {
                for (i, &v) in values.iter().enumerate() {
                    self.check_value(v).map_err(|err| match err {
                        EngineError::InvalidValue(message) => {
                            EngineError::InvalidValue(format!("{message} (at position {i})"))
                        }
                        other => other,
                    })?;
                }
                Ok(())
            }
            Inputs::Patterns { bits, width } => {
                let size = crate::activity::read(&self.output).size();
                if width != size || bits.len() % size.max(1) != 0 {
                    return Err(EngineError::ShapeMismatch {
                        what: "sensor patterns".into(),
                        expected: vec![bits.len() / size.max(1), size],
                        found: vec![bits.len(), width],
                    });
                }
                Ok(())
            }
        }
    }

    fn encoder(&self) -> Result<&NumericalEncoder> {
        self.encoder
            .as_ref()
            .ok_or_else(|| EngineError::InvalidValue("this sensor has no built-in encoder; feed patterns".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::{read, Activity};
    use crate::encoders::EncoderKind;

    fn sensor(encoder: bool) -> Sensor {
        Sensor {
            encoder: encoder.then(|| NumericalEncoder::new(EncoderKind::Simple, 0.0, 10.0, 6, 0.34).unwrap()),
            output: Activity::zeros(&[6]).unwrap().shared(),
        }
    }

    #[test]
    fn patterns_set_exactly_their_bits() {
        let s = sensor(false);
        let bits = [
            true, false, false, true, false, true, false, true, true, false, false, false,
        ];
        let inputs = Inputs::Patterns { bits: &bits, width: 6 };
        assert_eq!(inputs.len(), 2);
        assert!(!inputs.is_empty() && !Inputs::Values(&[1.0]).is_empty());
        assert_eq!(inputs.prefix(1).len(), 1);
        let three = [false; 18];
        let inputs3 = Inputs::Patterns { bits: &three, width: 6 };
        assert_eq!((inputs3.prefix(2).len(), inputs3.prefix(0).len()), (2, 0));
        s.check(inputs).unwrap();
        s.feed_step(inputs, 0).unwrap();
        assert_eq!(read(&s.output).values(), [1.0, 0.0, 0.0, 1.0, 0.0, 1.0]);
        s.feed_step(inputs, 1).unwrap();
        assert_eq!(read(&s.output).values(), [0.0, 1.0, 1.0, 0.0, 0.0, 0.0]);
        assert_eq!(read(&s.output).nonzero(), Some(&[1, 2][..]));
    }

    #[test]
    fn values_need_an_encoder_and_patterns_the_sensor_width() {
        assert!(sensor(false)
            .feed(1.0)
            .unwrap_err()
            .to_string()
            .contains("no built-in encoder"));
        let s = sensor(true);
        s.feed_step(Inputs::Values(&[10.0]), 0).unwrap();
        assert_eq!(read(&s.output).values(), [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
        let err = s.check(Inputs::Values(&[1.0, 11.0])).unwrap_err().to_string();
        assert!(err.contains("11") && err.ends_with("(at position 1)"), "{err}");
        let bits = [false; 10];
        assert!(s.check(Inputs::Patterns { bits: &bits, width: 5 }).is_err());
        assert!(s
            .check(Inputs::Patterns {
                bits: &bits[..9],
                width: 6
            })
            .is_err());
        assert!(s
            .check(Inputs::Patterns {
                bits: &bits[..6],
                width: 6
            })
            .is_ok());
        assert!(Inputs::Patterns { bits: &[], width: 0 }.is_empty());
    }
}

//! A sensor built into the engine: a numerical encoder writing into an activity buffer
//! (docs/specification.md §5).
use crate::activity::{write, SharedActivity};
use crate::encoders::NumericalEncoder;
use crate::error::Result;

/// A sensor whose encoder is a built-in numerical encoder.
#[derive(Debug)]
pub struct Sensor {
    pub encoder: NumericalEncoder,
    pub output: SharedActivity,
}

impl Sensor {
    /// Encodes `value` into the sensor's output (a bad value leaves it unchanged).
    pub fn feed(&self, value: f64) -> Result<()> {
        self.encoder.encode_into(value, &mut write(&self.output))
    }
}

//! Homeostasis: each unit's duty cycle (a moving average of how often it fires) and the
//! boost that raises units firing less than their share, as htm.core's spatial pooler does.
//!
//! With `target` the layer's winner fraction (k / units) and `duty[j]` unit j's duty
//! cycle, k-winners picks from `activation[j] * exp((target - duty[j]) * strength)`. The
//! duty cycles are updated at every learning step of the group:
//! `duty[j] <- duty[j] + (active[j] - duty[j]) / min(steps, period)`, `steps` counting
//! the updates so far (the first update has `steps = 1`).
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::allocation::zeroed;
use crate::error::{EngineError, Result};

/// How strongly, and over how many steps, a k-winners computation boosts its rare units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Boost {
    strength: f64,
    period: u64,
}

impl Boost {
    /// `strength` finite and above 0 (0 is no boost: say so with no [`Boost`] at all),
    /// `period` at least 1.
    pub fn new(strength: f64, period: u64) -> Result<Self> {
        if !(strength.is_finite() && strength > 0.0) {
            return Err(EngineError::InvalidParameter {
                name: "boost_strength",
                message: format!("must be a finite number above 0 to boost, got {strength}"),
            });
        }
        if period == 0 {
            return Err(EngineError::InvalidParameter {
                name: "duty_cycle_period",
                message: "must be at least 1, got 0".into(),
            });
        }
        Ok(Boost { strength, period })
    }

    pub fn strength(&self) -> f64 {
        self.strength
    }

    pub fn period(&self) -> u64 {
        self.period
    }

    /// Multiplies each activation by its unit's boost factor, `target` being the share of
    /// the units that win.
    pub fn apply(&self, target: f64, duty: &[f64], act: &mut [f64]) {
        for (a, &d) in act.iter_mut().zip(duty) {
            *a *= ((target - d) * self.strength).exp();
        }
    }
}

/// A group's duty cycles and the number of updates they have had.
#[derive(Debug, Clone, PartialEq)]
pub struct DutyCycles {
    values: Vec<f64>,
    steps: u64,
}

/// Duty cycles shared by a group of the engine and the Python object that owns them.
pub type SharedDutyCycles = Arc<RwLock<DutyCycles>>;

impl DutyCycles {
    /// All zero, no update yet, for `units` units.
    pub fn zeros(units: usize) -> Result<Self> {
        Ok(DutyCycles {
            values: zeroed(units, "duty cycles")?,
            steps: 0,
        })
    }

    /// Given values (each in [0, 1]) after `steps` updates: a saved state.
    pub fn from_parts(values: Vec<f64>, steps: u64) -> Result<Self> {
        if let Some(i) = values.iter().position(|v| !(0.0..=1.0).contains(v)) {
            return Err(EngineError::InvalidValue(format!(
                "duty cycles must be in [0, 1], got {} at unit {i}",
                values[i]
            )));
        }
        Ok(DutyCycles { values, steps })
    }

    pub fn shared(self) -> SharedDutyCycles {
        Arc::new(RwLock::new(self))
    }

    pub fn values(&self) -> &[f64] {
        &self.values
    }

    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// One update from the group's output (a unit is active when its value is not 0).
    pub fn update(&mut self, output: &[f64], period: u64) -> Result<()> {
        if output.len() != self.values.len() {
            return Err(EngineError::ShapeMismatch {
                what: "duty cycles".into(),
                expected: vec![self.values.len()],
                found: vec![output.len()],
            });
        }
        self.steps += 1;
        let window = self.steps.min(period) as f64;
        for (d, &o) in self.values.iter_mut().zip(output) {
            let active = if o != 0.0 { 1.0 } else { 0.0 };
            *d += (active - *d) / window;
        }
        Ok(())
    }
}

/// Reads shared duty cycles (a poisoned lock is recovered: the values are plain numbers).
pub fn read(duty: &SharedDutyCycles) -> RwLockReadGuard<'_, DutyCycles> {
    duty.read().unwrap_or_else(|e| e.into_inner())
}

/// Writes shared duty cycles.
pub fn write(duty: &SharedDutyCycles) -> RwLockWriteGuard<'_, DutyCycles> {
    duty.write().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duty_cycles_average_over_the_steps_then_over_the_period() {
        let mut d = DutyCycles::zeros(2).unwrap();
        d.update(&[1.0, 0.0], 3).unwrap();
        assert_eq!((d.values(), d.steps()), (&[1.0, 0.0][..], 1));
        d.update(&[0.0, 0.5], 3).unwrap();
        assert_eq!(d.values(), [0.5, 0.5]);
        d.update(&[0.0, 0.0], 3).unwrap();
        assert_eq!(d.values(), [0.5 - 0.5 / 3.0, 0.5 - 0.5 / 3.0]);
        d.update(&[1.0, 0.0], 3).unwrap(); // the window stays 3 from now on
        let before = 0.5 - 0.5 / 3.0;
        assert_eq!(d.values(), [before + (1.0 - before) / 3.0, before - before / 3.0]);
        assert_eq!(d.steps(), 4);
        assert!(d.update(&[1.0], 3).is_err());
    }

    #[test]
    fn the_boost_raises_units_below_the_target_and_lowers_those_above() {
        let boost = Boost::new(2.0, 10).unwrap();
        let mut act = [1.0, 1.0, 3.0];
        boost.apply(0.25, &[0.25, 0.0, 1.0], &mut act);
        assert_eq!(act, [1.0, (0.25f64 * 2.0).exp(), 3.0 * (-0.75f64 * 2.0).exp()]);
        for (strength, period) in [(0.0, 1), (-1.0, 1), (f64::NAN, 1), (f64::INFINITY, 1), (1.0, 0)] {
            assert!(Boost::new(strength, period).is_err(), "{strength} {period}");
        }
        assert_eq!((boost.strength(), boost.period()), (2.0, 10));
    }

    #[test]
    fn saved_duty_cycles_are_checked() {
        assert!(DutyCycles::from_parts(vec![0.0, 1.0, 0.3], 5).is_ok());
        let err = DutyCycles::from_parts(vec![0.0, 1.5], 5).unwrap_err().to_string();
        assert!(err.contains("1.5") && err.contains("unit 1"), "{err}");
        assert!(DutyCycles::from_parts(vec![f64::NAN], 1).is_err());
        let shared = DutyCycles::zeros(3).unwrap().shared();
        write(&shared).update(&[1.0, 1.0, 0.0], 1).unwrap();
        assert_eq!(read(&shared).values(), [1.0, 1.0, 0.0]);
    }
}

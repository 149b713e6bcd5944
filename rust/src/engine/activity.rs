//! Activity buffers: the current values of an output (a group's, a sensor's).
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::error::{EngineError, Result};
use super::{shape_size, zeroed};

/// The values of an output, flattened in C order, with the shape they have.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    shape: Vec<usize>,
    values: Vec<f64>,
}

/// An activity buffer shared by its output and every connection that reads it.
pub type SharedActivity = Arc<RwLock<Activity>>;

impl Activity {
    /// A buffer of zeros of the given shape.
    pub fn zeros(shape: &[usize]) -> Result<Self> {
        let size = shape_size(shape)?;
        Ok(Activity {
            shape: shape.to_vec(),
            values: zeroed(size, &format!("an activity of shape {shape:?}"))?,
        })
    }

    /// The buffer wrapped for sharing.
    pub fn shared(self) -> SharedActivity {
        Arc::new(RwLock::new(self))
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    pub fn size(&self) -> usize {
        self.values.len()
    }

    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Replaces every value. The length must match and every value must be finite.
    pub fn assign(&mut self, values: &[f64]) -> Result<()> {
        if values.len() != self.values.len() {
            return Err(EngineError::ShapeMismatch {
                what: "output values".into(),
                expected: self.shape.clone(),
                found: vec![values.len()],
            });
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(EngineError::InvalidValue(format!(
                "output values must be finite, got {} at flat index {i}",
                values[i]
            )));
        }
        self.values.copy_from_slice(values);
        Ok(())
    }

    /// Mutable access to the values for a kernel that writes all of them.
    pub fn values_mut(&mut self) -> &mut [f64] {
        &mut self.values
    }
}

/// Read-locks a shared buffer. The engine never panics while holding a lock, so a poisoned
/// lock only means a panic elsewhere; the data is still consistent and is used.
pub fn read(activity: &SharedActivity) -> RwLockReadGuard<'_, Activity> {
    activity.read().unwrap_or_else(|e| e.into_inner())
}

/// Write-locks a shared buffer (see [`read`] about poisoning).
pub fn write(activity: &SharedActivity) -> RwLockWriteGuard<'_, Activity> {
    activity.write().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeros_and_assign() {
        let mut a = Activity::zeros(&[2, 3]).unwrap();
        assert_eq!(a.size(), 6);
        assert_eq!(a.values(), &[0.0; 6]);
        a.assign(&[1.0, 0.0, 0.0, 1.0, 0.0, 0.0]).unwrap();
        assert!(matches!(a.assign(&[1.0]), Err(EngineError::ShapeMismatch { .. })));
        assert!(matches!(a.assign(&[f64::NAN; 6]), Err(EngineError::InvalidValue(_))));
    }

    #[test]
    fn impossible_size_is_an_allocation_error() {
        assert!(matches!(
            Activity::zeros(&[usize::MAX, 2]),
            Err(EngineError::Allocation { .. })
        ));
        assert!(matches!(
            Activity::zeros(&[usize::MAX / 8]),
            Err(EngineError::Allocation { .. })
        ));
    }
}

//! Activity buffers: the current values of an output (a group's, a sensor's).
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::allocation::{shape_size, zeroed};
use crate::error::{EngineError, Result};
use crate::kernels;

/// The values of an output, flattened in C order, with the shape they have.
///
/// Activity is sparse, so the buffer also keeps the positions of its non-zero values
/// (ascending) while they are known: every writer keeps that list exact or marks it
/// unknown, and readers then skip the zeros without scanning them. Equality compares the
/// shape and the values only.
#[derive(Debug, Clone)]
pub struct Activity {
    shape: Vec<usize>,
    values: Vec<f64>,
    /// The positions `i` with `values[i] != 0.0` (NaN included), ascending, when `known`.
    nonzero: Vec<usize>,
    known: bool,
    /// The list before the last [`Activity::set_ones`], kept for its capacity.
    spare: Vec<usize>,
}

impl PartialEq for Activity {
    fn eq(&self, other: &Self) -> bool {
        self.shape == other.shape && self.values == other.values
    }
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
            nonzero: Vec::new(),
            known: true,
            spare: Vec::new(),
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
        let nonzero = &mut self.nonzero;
        nonzero.clear();
        kernels::for_each_nonzero(&self.values, |i, _| nonzero.push(i));
        self.known = true;
        Ok(())
    }

    /// Mutable access to the values for a kernel that writes all of them. The list of
    /// non-zero positions becomes unknown, so readers scan until the next exact writer.
    pub fn values_mut(&mut self) -> &mut [f64] {
        self.known = false;
        &mut self.values
    }

    /// Sets the values at `ones` to 1 and every other value to 0. Positions may come in
    /// any order and repeat; one out of range is an error and leaves the values unchanged.
    /// Only the previously non-zero values are cleared, when they are known.
    pub fn set_ones(&mut self, ones: impl IntoIterator<Item = usize>) -> Result<()> {
        let mut new = std::mem::take(&mut self.spare);
        new.clear();
        new.extend(ones);
        if !new.windows(2).all(|w| w[0] < w[1]) {
            new.sort_unstable();
            new.dedup();
        }
        let size = self.values.len();
        if let Some(&i) = new.last().filter(|&&i| i >= size) {
            self.spare = new;
            return Err(EngineError::Index(format!(
                "position {i} is outside an activity of {size} values"
            )));
        }
        if self.known {
            for &i in &self.nonzero {
                self.values[i] = 0.0;
            }
        } else {
            self.values.fill(0.0);
        }
        for &i in &new {
            self.values[i] = 1.0;
        }
        self.spare = std::mem::replace(&mut self.nonzero, new);
        self.known = true;
        Ok(())
    }

    /// The positions of the non-zero values, ascending, when they are known.
    pub fn nonzero(&self) -> Option<&[usize]> {
        self.known.then_some(self.nonzero.as_slice())
    }

    /// Calls `f(position, value)` for every non-zero value (NaN included; -0.0 is zero),
    /// in ascending position: from the known positions, or by a scan.
    #[inline]
    pub fn for_each_nonzero(&self, mut f: impl FnMut(usize, f64)) {
        match self.nonzero() {
            Some(positions) => {
                for &i in positions {
                    f(i, self.values[i]);
                }
            }
            None => kernels::for_each_nonzero(&self.values, f),
        }
    }

    /// Calls `f(position)` for every value exactly 1, in ascending position.
    #[inline]
    pub fn for_each_one(&self, mut f: impl FnMut(usize)) {
        self.for_each_nonzero(|i, v| {
            if v == 1.0 {
                f(i)
            }
        })
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

    /// Equal means the same shape and the same values, not merely the same size.
    #[test]
    fn equality_is_shape_and_values() {
        let a = Activity::zeros(&[2, 3]).unwrap();
        let mut b = Activity::zeros(&[2, 3]).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, Activity::zeros(&[3, 2]).unwrap());
        b.set_ones([4]).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn zeros_and_assign() {
        let mut a = Activity::zeros(&[2, 3]).unwrap();
        assert_eq!(a.size(), 6);
        assert_eq!(a.values(), &[0.0; 6]);
        a.assign(&[1.0, 0.0, 0.0, 1.0, 0.0, 0.0]).unwrap();
        assert!(matches!(a.assign(&[1.0]), Err(EngineError::ShapeMismatch { .. })));
        assert!(matches!(a.assign(&[f64::NAN; 6]), Err(EngineError::InvalidValue(_))));
    }

    /// The non-zero positions found by scanning every value.
    fn scanned(a: &Activity) -> Vec<(usize, u64)> {
        let mut seen = vec![];
        kernels::for_each_nonzero(a.values(), |i, v| seen.push((i, v.to_bits())));
        seen
    }

    /// What the buffer reports through its known positions (or its scan).
    fn reported(a: &Activity) -> Vec<(usize, u64)> {
        let mut seen = vec![];
        a.for_each_nonzero(|i, v| seen.push((i, v.to_bits())));
        seen
    }

    fn check(a: &Activity) {
        assert_eq!(reported(a), scanned(a));
        if let Some(known) = a.nonzero() {
            let positions: Vec<usize> = scanned(a).iter().map(|&(i, _)| i).collect();
            assert_eq!(known, &positions[..]);
        }
        let mut ones = vec![];
        a.for_each_one(|i| ones.push(i));
        let want: Vec<usize> = (0..a.size()).filter(|&i| a.values()[i] == 1.0).collect();
        assert_eq!(ones, want);
    }

    #[test]
    fn known_positions_follow_every_writer() {
        let mut a = Activity::zeros(&[10]).unwrap();
        assert_eq!(a.nonzero(), Some(&[][..]));
        a.set_ones([7, 2, 7, 4]).unwrap();
        assert_eq!(a.nonzero(), Some(&[2, 4, 7][..]));
        assert_eq!(a.values(), &[0., 0., 1., 0., 1., 0., 0., 1., 0., 0.]);
        check(&a);
        a.set_ones([3]).unwrap();
        assert_eq!(a.values(), &[0., 0., 0., 1., 0., 0., 0., 0., 0., 0.]);
        check(&a);
        // Any finite values, -0.0 counting as zero.
        a.assign(&[0.5, -0.0, 1.0, 0.0, -2.0, 0.0, 0.0, 1.0, 0.0, 3.0]).unwrap();
        assert_eq!(a.nonzero(), Some(&[0, 2, 4, 7, 9][..]));
        check(&a);
        // A failed assign changes nothing.
        assert!(a.assign(&[f64::INFINITY; 10]).is_err());
        assert_eq!(a.nonzero(), Some(&[0, 2, 4, 7, 9][..]));
        check(&a);
        // Direct writes make the positions unknown; readers scan and still see NaN.
        a.values_mut()[5] = f64::NAN;
        a.values_mut()[0] = -0.0;
        assert_eq!(a.nonzero(), None);
        check(&a);
        assert_eq!(
            reported(&a).iter().map(|&(i, _)| i).collect::<Vec<_>>(),
            [2, 4, 5, 7, 9]
        );
        // set_ones from unknown positions clears everything.
        a.set_ones([1, 8]).unwrap();
        assert_eq!(a.values(), &[0., 1., 0., 0., 0., 0., 0., 0., 1., 0.]);
        assert!(a.values().iter().all(|v| v.to_bits() != (-0.0f64).to_bits()));
        check(&a);
        // A position out of range changes nothing.
        assert!(matches!(a.set_ones([2, 10]), Err(EngineError::Index(_))));
        assert_eq!(a.nonzero(), Some(&[1, 8][..]));
        check(&a);
        a.set_ones([]).unwrap();
        assert_eq!(a.values(), &[0.0; 10]);
        check(&a);
        // Equality ignores what is known.
        let mut b = Activity::zeros(&[10]).unwrap();
        b.values_mut();
        assert_eq!(a, b);
    }

    #[test]
    fn known_positions_stay_exact_over_random_writes() {
        let mut seed = 11u64;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((seed >> 33) % n) as usize
        };
        let mut a = Activity::zeros(&[37]).unwrap();
        for _ in 0..2000 {
            match next(4) {
                0 => {
                    let ones: Vec<usize> = (0..next(12)).map(|_| next(37)).collect();
                    a.set_ones(ones).unwrap();
                }
                1 => {
                    let values: Vec<f64> = (0..37)
                        .map(|_| [0.0, -0.0, 1.0, 0.25, -1.0][next(5)] * (next(3) == 0) as u8 as f64)
                        .collect();
                    a.assign(&values).unwrap();
                }
                2 => {
                    let i = next(37);
                    a.values_mut()[i] = [0.0, -0.0, 1.0, f64::NAN, 2.0][next(5)];
                }
                _ => {
                    let _ = a.set_ones([next(40)]);
                }
            }
            check(&a);
        }
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

//! The built-in computations: activation, threshold and k-winners (SPEC section 3).
use super::activity::{write, SharedActivity};
use super::connection::Connection;
use super::error::{EngineError, Result};

/// A built-in computation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Computation {
    /// A unit fires when its activation is strictly above the threshold.
    Threshold(f64),
    /// The `k` units with the highest activation fire; ties go to the lower index.
    KWinners(Winners),
}

/// How many units k-winners lets fire.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Winners {
    /// Exactly this many units (must not exceed the group).
    Count(usize),
    /// `ceil(fraction * units)` units.
    Fraction(f64),
}

impl Computation {
    /// `StandardComputation(threshold)`: the threshold must be a non-negative number.
    pub fn threshold(threshold: f64) -> Result<Self> {
        if threshold.is_nan() || threshold < 0.0 {
            return Err(EngineError::InvalidParameter {
                name: "threshold",
                message: format!("must be a non-negative number, got {threshold}"),
            });
        }
        Ok(Computation::Threshold(threshold))
    }

    /// `SparseComputation(n)` with an int `n`: exactly `n` winners, `n >= 1`.
    pub fn k_winners(count: i64) -> Result<Self> {
        if count <= 0 {
            return Err(EngineError::InvalidParameter {
                name: "n",
                message: format!("must be positive, got {count}"),
            });
        }
        Ok(Computation::KWinners(Winners::Count(count as usize)))
    }

    /// `SparseComputation(n)` with a float `n`: a fraction of the group, `0 < n <= 1`.
    pub fn k_fraction(fraction: f64) -> Result<Self> {
        if fraction.is_nan() || fraction <= 0.0 || fraction > 1.0 {
            return Err(EngineError::InvalidParameter {
                name: "n",
                message: format!("a float n is a fraction of the group and must be in (0, 1], got {fraction}"),
            });
        }
        Ok(Computation::KWinners(Winners::Fraction(fraction)))
    }

    /// The number of winners in a group of `units` units, for k-winners.
    pub fn winners(&self, units: usize) -> Result<usize> {
        match *self {
            Computation::KWinners(Winners::Count(k)) if k > units => Err(EngineError::InvalidParameter {
                name: "n",
                message: format!("n = {k} winners is more than the group's {units} units"),
            }),
            Computation::KWinners(Winners::Count(k)) => Ok(k),
            Computation::KWinners(Winners::Fraction(f)) => Ok(((f * units as f64).ceil() as usize).min(units)),
            Computation::Threshold(_) => Ok(units),
        }
    }

    /// Computes the new activity of a group of `out.len()` units from its connections,
    /// writing 0/1 values into `out`. `scratch` holds the activation.
    pub fn compute(&self, inputs: &[&Connection], scratch: &mut Vec<f64>, out: &mut [f64]) -> Result<()> {
        activation(inputs, out.len(), scratch)?;
        match *self {
            Computation::Threshold(t) => {
                for (o, &a) in out.iter_mut().zip(scratch.iter()) {
                    *o = if a > t { 1.0 } else { 0.0 };
                }
            }
            Computation::KWinners(_) => {
                let k = self.winners(out.len())?;
                out.fill(0.0);
                for j in k_winners(scratch, k) {
                    out[j] = 1.0;
                }
            }
        }
        Ok(())
    }

    /// Computes a group's new activity and stores it in its output buffer.
    pub fn compute_into(&self, inputs: &[&Connection], output: &SharedActivity) -> Result<()> {
        let size = super::activity::read(output).size();
        let mut scratch = Vec::new();
        let mut values = super::zeroed(size, "an activity")?;
        self.compute(inputs, &mut scratch, &mut values)?;
        write(output).values_mut().copy_from_slice(&values);
        Ok(())
    }
}

/// The activation of every post unit (SPEC section 3): for every input in order, then
/// every pre unit `i` with a non-zero value in ascending order, add `v[i] * W[i, j]`.
/// Only the rows of active inputs are read. This order is what makes results
/// bit-identical to the reference whatever the thread count.
pub fn activation(inputs: &[&Connection], post: usize, act: &mut Vec<f64>) -> Result<()> {
    act.clear();
    act.try_reserve_exact(post).map_err(|_| EngineError::Allocation {
        what: "an activation buffer".into(),
        bytes: post.checked_mul(8),
    })?;
    act.resize(post, 0.0);
    for conn in inputs {
        if conn.post_size() != post {
            return Err(EngineError::ShapeMismatch {
                what: "input feeding the group".into(),
                expected: vec![post],
                found: conn.post_shape().to_vec(),
            });
        }
        let mut active = Vec::with_capacity(64);
        conn.source().for_each_nonzero(|i, v| active.push((i, v)));
        conn.weights_mut().accumulate(&active, act);
    }
    Ok(())
}

/// The indices of the `k` highest activations, ties to the lower index, in ascending order.
/// NaN (only possible with NaN weights) ranks lowest. Linear time.
pub fn k_winners(act: &[f64], k: usize) -> Vec<usize> {
    let k = k.min(act.len());
    if k == 0 {
        return Vec::new();
    }
    if k == act.len() {
        return (0..k).collect();
    }
    // One integer key per unit, smallest first: descending activation, then ascending index.
    let mut keys: Vec<u128> = act
        .iter()
        .enumerate()
        .map(|(j, &a)| ((!ordered(a) as u128) << 64) | j as u128)
        .collect();
    keys.select_nth_unstable(k - 1);
    let mut winners: Vec<usize> = keys[..k].iter().map(|&key| key as u64 as usize).collect();
    winners.sort_unstable();
    winners
}

/// Maps an activation to an integer with the same order (-0.0 and 0.0 equal, NaN lowest).
fn ordered(a: f64) -> u64 {
    let a = if a.is_nan() { f64::NEG_INFINITY } else { a + 0.0 };
    let bits = a.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::test_support::connection;

    #[test]
    fn spec_threshold_vector() {
        let c = connection(&[1.0, 0.0, 1.0], vec![0.8, 0.4, 0.6, 0.8, 0.5, 0.4], 2);
        let mut out = [0.0; 2];
        Computation::threshold(1.2)
            .unwrap()
            .compute(&[&c], &mut vec![], &mut out)
            .unwrap();
        assert_eq!(out, [1.0, 0.0]);
    }

    #[test]
    fn spec_sparse_vectors() {
        let w = vec![0.8, 0.4, 0.5, 0.4, 0.6, 0.8, 0.9, 0.2, 0.5, 0.4, 0.5, 0.7];
        let c = connection(&[1.0, 0.0, 1.0], w, 4);
        let mut out = [0.0; 4];
        Computation::k_winners(2)
            .unwrap()
            .compute(&[&c], &mut vec![], &mut out)
            .unwrap();
        assert_eq!(out, [1.0, 0.0, 0.0, 1.0]);
        Computation::k_fraction(0.25)
            .unwrap()
            .compute(&[&c], &mut vec![], &mut out)
            .unwrap();
        assert_eq!(out, [1.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn ties_go_to_the_lower_index() {
        assert_eq!(k_winners(&[0.5, 0.7, 0.5, 0.7, 0.5], 3), vec![0, 1, 3]);
        assert_eq!(k_winners(&[0.0; 6], 2), vec![0, 1]);
        assert_eq!(k_winners(&[f64::NAN, 0.0, -1.0], 2), vec![1, 2]);
        assert_eq!(k_winners(&[-0.0, 0.0, -0.0], 2), vec![0, 1]);
        assert_eq!(k_winners(&[-2.0, -1.0, f64::INFINITY, 1e-300], 2), vec![2, 3]);
        // agrees with a full sort, ties to the lower index
        let act: Vec<f64> = (0..200)
            .map(|i| ((i * 37) % 11) as f64 - 0.5 * ((i % 3) as f64))
            .collect();
        for k in 1..40 {
            let mut order: Vec<usize> = (0..act.len()).collect();
            order.sort_by(|&a, &b| act[b].partial_cmp(&act[a]).unwrap().then(a.cmp(&b)));
            let mut expected = order[..k].to_vec();
            expected.sort_unstable();
            assert_eq!(k_winners(&act, k), expected, "k = {k}");
        }
    }

    #[test]
    fn bad_parameters_are_named() {
        assert!(Computation::threshold(-1.0)
            .unwrap_err()
            .to_string()
            .contains("threshold"));
        assert!(Computation::threshold(f64::NAN).is_err());
        assert!(Computation::k_winners(0).is_err());
        assert!(Computation::k_fraction(1.5).unwrap_err().to_string().contains("1.5"));
        let err = Computation::k_winners(5).unwrap().winners(4).unwrap_err();
        assert!(err.to_string().contains('5'), "{err}");
    }
}

//! Synapse weights of one connection: a dense pre x post `f64` matrix, row-major.
use super::error::{EngineError, Result};
use super::zeroed;

/// The weights of a connection. Row `i` holds the synapses of pre-synaptic unit `i` onto
/// every post-synaptic unit.
///
/// `within_unit` records that every weight is known to lie in [0, 1] (or be NaN, which
/// clipping leaves alone), so Hebbian learning's final clip only has to look at the weights
/// the step changed. It is cleared whenever weights may have been set from outside.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    pre: usize,
    post: usize,
    data: Vec<f64>,
    within_unit: bool,
}

impl Weights {
    /// All-zero weights (every synapse dead).
    pub fn zeros(pre: usize, post: usize) -> Result<Self> {
        let len = matrix_len(pre, post)?;
        Ok(Weights {
            pre,
            post,
            data: zeroed(len, &format!("weights of shape ({pre}, {post})"))?,
            within_unit: true,
        })
    }

    /// Weights from a row-major matrix; every weight must be finite.
    pub fn from_vec(pre: usize, post: usize, data: Vec<f64>) -> Result<Self> {
        let len = matrix_len(pre, post)?;
        if data.len() != len {
            return Err(EngineError::ShapeMismatch {
                what: "synapses".into(),
                expected: vec![pre, post],
                found: vec![data.len()],
            });
        }
        check_finite(&data)?;
        let within_unit = all_within_unit(&data);
        Ok(Weights {
            pre,
            post,
            data,
            within_unit,
        })
    }

    pub fn pre(&self) -> usize {
        self.pre
    }

    pub fn post(&self) -> usize {
        self.post
    }

    pub fn as_slice(&self) -> &[f64] {
        &self.data
    }

    /// Raw pointer to the first weight, for exposing the matrix as a numpy view. The buffer
    /// is never reallocated, so the pointer stays valid as long as these weights live.
    pub fn as_mut_ptr(&mut self) -> *mut f64 {
        self.data.as_mut_ptr()
    }

    /// The synapses of pre-synaptic unit `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.post..(i + 1) * self.post]
    }

    /// Replaces every weight; every weight must be finite.
    pub fn assign(&mut self, values: &[f64]) -> Result<()> {
        if values.len() != self.data.len() {
            return Err(EngineError::ShapeMismatch {
                what: "synapses".into(),
                expected: vec![self.pre, self.post],
                found: vec![values.len()],
            });
        }
        check_finite(values)?;
        self.data.copy_from_slice(values);
        self.within_unit = all_within_unit(&self.data);
        Ok(())
    }

    /// Whether every weight is known to be within [0, 1] (or NaN).
    pub fn within_unit(&self) -> bool {
        self.within_unit
    }

    /// Forget what is known about the range of the weights: they may be edited from outside
    /// (a numpy view handed to a user). The next learning step checks every weight.
    pub fn mark_edited(&mut self) {
        self.within_unit = false;
    }

    pub(crate) fn set_within_unit(&mut self) {
        self.within_unit = true;
    }

    pub(crate) fn data_mut(&mut self) -> &mut [f64] {
        &mut self.data
    }
}

fn matrix_len(pre: usize, post: usize) -> Result<usize> {
    pre.checked_mul(post)
        .ok_or_else(|| EngineError::Allocation {
            what: format!("weights of shape ({pre}, {post})"),
            bytes: None,
        })
}

fn check_finite(values: &[f64]) -> Result<()> {
    match values.iter().position(|w| !w.is_finite()) {
        None => Ok(()),
        Some(i) => Err(EngineError::InvalidValue(format!(
            "synapses must be finite, got {} at flat index {i}",
            values[i]
        ))),
    }
}

/// True when clipping to [0, 1] would change nothing: NaN counts as within (clip keeps it).
#[allow(clippy::manual_range_contains)]
fn all_within_unit(values: &[f64]) -> bool {
    values.iter().all(|&w| !(w < 0.0 || w > 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_vec_checks_shape_and_finiteness() {
        let w = Weights::from_vec(2, 2, vec![0.1, 0.2, 0.3, 0.4]).unwrap();
        assert_eq!(w.row(1), &[0.3, 0.4]);
        assert!(w.within_unit());
        assert!(!Weights::from_vec(1, 2, vec![-0.5, 2.0])
            .unwrap()
            .within_unit());
        assert!(matches!(
            Weights::from_vec(2, 2, vec![0.0; 3]),
            Err(EngineError::ShapeMismatch { .. })
        ));
        let err = Weights::from_vec(1, 2, vec![0.0, f64::INFINITY]).unwrap_err();
        assert!(err.to_string().contains("inf"), "{err}");
    }

    #[test]
    fn impossible_matrix_is_an_allocation_error() {
        assert!(matches!(
            Weights::zeros(usize::MAX, 3),
            Err(EngineError::Allocation { .. })
        ));
        assert!(matches!(
            Weights::zeros(1 << 40, 1 << 20),
            Err(EngineError::Allocation { .. })
        ));
    }
}

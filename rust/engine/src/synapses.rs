//! The weights of one connection, stored densely or sparsely, whichever is smaller.
//!
//! Both give the same bits: a synapse a sparse store does not hold is a dead one (weight
//! 0) of the dense matrix. The computations and the learning rule go through this type;
//! users see the storage (a dense view or a sparse one) through the bindings.
use crate::allocation::zeroed;
use crate::error::Result;
use crate::sparse::SparseWeights;
use crate::weights::Weights;

/// A connection's weights.
#[derive(Debug, Clone)]
pub enum Synapses {
    Dense(Weights),
    Sparse(SparseWeights),
}

impl From<Weights> for Synapses {
    fn from(w: Weights) -> Self {
        Synapses::Dense(w)
    }
}

impl From<SparseWeights> for Synapses {
    fn from(w: SparseWeights) -> Self {
        Synapses::Sparse(w)
    }
}

impl Synapses {
    /// `sparse` kept sparse when that takes less memory than a dense matrix (12 bytes a
    /// synapse and 8 an input, against 8 a pair of units), made dense otherwise.
    pub fn compact(sparse: SparseWeights) -> Result<Self> {
        let mut synapses = Synapses::Sparse(sparse);
        synapses.compact_in_place()?;
        Ok(synapses)
    }

    /// Makes sparse weights dense when a dense matrix takes less memory.
    pub fn compact_in_place(&mut self) -> Result<()> {
        let Synapses::Sparse(sparse) = self else {
            return Ok(());
        };
        let dense_bytes = sparse.pre().saturating_mul(sparse.post()).saturating_mul(8);
        if sparse.bytes() < dense_bytes {
            return Ok(());
        }
        let mut values = zeroed(sparse.pre() * sparse.post(), "dense weights")?;
        sparse.write_dense(&mut values);
        *self = Synapses::Dense(Weights::from_vec(sparse.pre(), sparse.post(), values)?);
        Ok(())
    }

    pub fn pre(&self) -> usize {
        match self {
            Synapses::Dense(w) => w.pre(),
            Synapses::Sparse(w) => w.pre(),
        }
    }

    pub fn post(&self) -> usize {
        match self {
            Synapses::Dense(w) => w.post(),
            Synapses::Sparse(w) => w.post(),
        }
    }

    pub fn is_sparse(&self) -> bool {
        matches!(self, Synapses::Sparse(_))
    }

    /// Every weight as a dense row-major matrix (a copy for sparse weights).
    pub fn to_dense(&mut self) -> Result<Vec<f64>> {
        match self {
            Synapses::Dense(w) => Ok(w.as_slice().to_vec()),
            Synapses::Sparse(w) => {
                let len = w.pre().saturating_mul(w.post());
                let mut out = zeroed(len, &format!("a dense copy of ({}, {}) synapses", w.pre(), w.post()))?;
                w.write_dense(&mut out);
                Ok(out)
            }
        }
    }

    /// Replaces every weight from a dense row-major matrix (for sparse weights, 0 wherever
    /// there is no synapse).
    pub fn assign_dense(&mut self, values: &[f64]) -> Result<()> {
        match self {
            Synapses::Dense(w) => w.assign(values),
            Synapses::Sparse(w) => w.assign_dense(values),
        }
    }

    pub fn within_unit(&self) -> bool {
        match self {
            Synapses::Dense(w) => w.within_unit(),
            Synapses::Sparse(w) => w.within_unit(),
        }
    }

    /// The weights may be edited from outside (a view handed out): the next learning step
    /// checks every one.
    pub fn mark_edited(&mut self) {
        match self {
            Synapses::Dense(w) => w.mark_edited(),
            Synapses::Sparse(w) => w.mark_edited(),
        }
    }

    /// Checks whether every weight lies within [0, 1] again.
    pub fn recheck_range(&mut self) {
        match self {
            Synapses::Dense(w) => w.recheck_range(),
            Synapses::Sparse(w) => w.recheck_range(),
        }
    }

    /// Brings every weight up to date (learning is logged; see the `pending` module).
    pub fn flush(&mut self) {
        match self {
            Synapses::Dense(w) => w.flush(),
            Synapses::Sparse(w) => w.flush(),
        }
    }

    /// The dense weights, if they are dense.
    pub fn dense_mut(&mut self) -> Option<&mut Weights> {
        match self {
            Synapses::Dense(w) => Some(w),
            Synapses::Sparse(_) => None,
        }
    }

    /// The sparse weights, if they are sparse.
    pub fn sparse_mut(&mut self) -> Option<&mut SparseWeights> {
        match self {
            Synapses::Dense(_) => None,
            Synapses::Sparse(w) => Some(w),
        }
    }

    /// Adds every active input's weights, times its value, to `act` (§3's order);
    /// with `connected`, a synapse counts 1 when its weight is at least that, else 0.
    pub(crate) fn accumulate(&mut self, active: &[(usize, f64)], connected: Option<f64>, act: &mut [f64]) {
        match (self, connected) {
            (Synapses::Dense(w), None) => w.accumulate(active, act),
            (Synapses::Dense(w), Some(threshold)) => {
                for &(i, v) in active {
                    for (a, &x) in act.iter_mut().zip(w.row(i)) {
                        *a += v * if x >= threshold { 1.0 } else { 0.0 };
                    }
                }
            }
            (Synapses::Sparse(w), None) => w.accumulate(active, act),
            (Synapses::Sparse(w), Some(threshold)) => w.accumulate_connected(active, threshold, act),
        }
    }
}

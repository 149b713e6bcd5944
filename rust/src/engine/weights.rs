//! Synapse weights of one connection: a dense pre x post `f64` matrix, row-major.
use super::error::{EngineError, Result};
use super::zeroed;

/// The weights of a connection. Row `i` holds the synapses of pre-synaptic unit `i` onto
/// every post-synaptic unit.
///
/// `within_unit` records that every weight is known to lie in [0, 1] (or be NaN, which
/// clipping leaves alone), so Hebbian learning's final clip only has to look at the weights
/// the step changed. It is cleared whenever weights may have been set from outside.
///
/// Learning's "neuron active, input silent" decrements hit one column per active neuron in
/// every silent row: strided, one cache line per weight. They are not applied at once but
/// logged ([`PendingUpdates`]) and replayed into a row, in step order, when the row is
/// next needed: when it becomes active, or when anyone reads the weights. Replay is
/// row-local and applies every weight's changes in the same order as applying them at once,
/// so results are bit-identical. Every accessor that exposes weights brings them up to date.
#[derive(Debug, Clone)]
pub struct Weights {
    pre: usize,
    post: usize,
    data: Vec<f64>,
    within_unit: bool,
    pending: PendingUpdates,
}

impl PartialEq for Weights {
    /// Compares current weights (pending decrements applied on a copy where needed).
    fn eq(&self, other: &Self) -> bool {
        let current = |w: &Weights| {
            let mut w = w.clone();
            w.flush();
            w.data
        };
        self.pre == other.pre && self.post == other.post && current(self) == current(other)
    }
}

/// The log of learning steps not yet applied to rows.
///
/// Logged step `s` made active the columns `columns[ends[s-1]..ends[s]]`, with rates
/// `increases[s]` and `decreases[s]`. A row that was silent at step `s` loses
/// `decreases[s]` in those columns; the row that was active (pre) at step `s`, recorded as
/// `pre_at[row] == s`, gains `increases[s]` there and loses `decreases[s]` everywhere else.
/// Row `i` has had the first `applied[i]` logged steps applied. A row is brought up to
/// date before it is logged as pre again, so each row has at most one pending pre step.
#[derive(Debug, Clone, Default)]
struct PendingUpdates {
    columns: Vec<u32>,
    ends: Vec<usize>,
    increases: Vec<f64>,
    decreases: Vec<f64>,
    applied: Vec<u32>,
    pre_at: Vec<u32>,
    /// Scratch for a pre row's update: the change of every column.
    delta: Vec<f64>,
    /// Whether every logged step has the same decrease (the usual case).
    uniform_decrease: bool,
}

/// Decrements `row` at each of `columns` in turn (a column may repeat).
#[inline]
fn decrease_columns(row: &mut [f64], columns: &[u32], delta: f64) {
    for &j in columns {
        if let Some(w) = row.get_mut(j as usize) {
            *w = super::learn::decrease(*w, delta);
        }
    }
}

const NOT_PRE: u32 = u32::MAX;

impl PendingUpdates {
    fn for_rows(pre: usize) -> Result<Self> {
        let mut applied = Vec::new();
        let mut pre_at = Vec::new();
        let fail = |_| EngineError::Allocation {
            what: format!("learning state for {pre} rows"),
            bytes: pre.checked_mul(8),
        };
        applied.try_reserve_exact(pre).map_err(fail)?;
        pre_at.try_reserve_exact(pre).map_err(fail)?;
        applied.resize(pre, 0);
        pre_at.resize(pre, NOT_PRE);
        Ok(PendingUpdates {
            applied,
            pre_at,
            ..Default::default()
        })
    }

    fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn clear(&mut self) {
        self.columns.clear();
        self.ends.clear();
        self.increases.clear();
        self.decreases.clear();
        self.applied.iter_mut().for_each(|a| *a = 0);
        self.pre_at.iter_mut().for_each(|p| *p = NOT_PRE);
        self.uniform_decrease = true;
    }

    /// Applies row `i`'s pending steps to `row`, oldest first: exactly the operations, in
    /// the order, that learning them at once would have applied to each weight.
    fn replay(&mut self, i: usize, row: &mut [f64]) {
        let from = self.applied[i] as usize;
        let steps = self.ends.len();
        if from == steps {
            return;
        }
        let pre_at = self.pre_at[i] as usize;
        if (from..steps).contains(&pre_at) {
            self.decrease_steps(row, from, pre_at);
            let start = if pre_at == 0 { 0 } else { self.ends[pre_at - 1] };
            self.delta.clear();
            self.delta.resize(row.len(), -self.decreases[pre_at]);
            for &j in &self.columns[start..self.ends[pre_at]] {
                self.delta[j as usize] = self.increases[pre_at];
            }
            for (w, &d) in row.iter_mut().zip(&self.delta) {
                *w = super::learn::update(*w, d);
            }
            self.decrease_steps(row, pre_at + 1, steps);
        } else {
            self.decrease_steps(row, from, steps);
        }
        self.applied[i] = steps as u32;
        self.pre_at[i] = NOT_PRE;
    }

    /// Applies the decrements of logged steps `from..to` to a row that was silent in them.
    fn decrease_steps(&self, row: &mut [f64], from: usize, to: usize) {
        if from >= to {
            return;
        }
        let start = if from == 0 { 0 } else { self.ends[from - 1] };
        if self.uniform_decrease {
            // One rate for every step: a single pass over the logged columns.
            let delta = -self.decreases[0];
            decrease_columns(row, &self.columns[start..self.ends[to - 1]], delta);
        } else {
            let mut start = start;
            for s in from..to {
                decrease_columns(row, &self.columns[start..self.ends[s]], -self.decreases[s]);
                start = self.ends[s];
            }
        }
    }
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
            pending: PendingUpdates::for_rows(pre)?,
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
            pending: PendingUpdates::for_rows(pre)?,
        })
    }

    pub fn pre(&self) -> usize {
        self.pre
    }

    pub fn post(&self) -> usize {
        self.post
    }

    /// Every weight, up to date (row-major).
    pub fn as_slice(&mut self) -> &[f64] {
        self.flush();
        &self.data
    }

    /// Raw pointer to the first weight, up to date, for exposing the matrix as a numpy view.
    /// The buffer is never reallocated, so the pointer stays valid as long as these weights
    /// live. Callers that hand the pointer out must [`mark_edited`](Self::mark_edited) too.
    pub fn as_mut_ptr(&mut self) -> *mut f64 {
        self.flush();
        self.data.as_mut_ptr()
    }

    /// The synapses of pre-synaptic unit `i`, up to date.
    pub fn row(&mut self, i: usize) -> &[f64] {
        self.row_mut(i)
    }

    /// The synapses of pre-synaptic unit `i`, up to date, for a learning rule to change.
    pub(crate) fn row_mut(&mut self, i: usize) -> &mut [f64] {
        let row = &mut self.data[i * self.post..(i + 1) * self.post];
        self.pending.replay(i, row);
        row
    }

    /// Applies every pending decrement to every row.
    pub fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let post = self.post.max(1);
        for (i, row) in self.data.chunks_exact_mut(post).enumerate() {
            self.pending.replay(i, row);
        }
        self.pending.clear();
    }

    /// Logs a learning step instead of applying it: `columns` are the active neurons,
    /// `pre_rows` the active inputs (see [`PendingUpdates`]). The rows change when they
    /// are next read. The log is bounded: past about a sixteenth of the matrix in entries,
    /// every row is brought up to date and it restarts.
    pub(crate) fn log_step(&mut self, columns: &[usize], increase: f64, decrease: f64, pre_rows: &[usize]) {
        let cap = (self.pre.saturating_mul(self.post) / 16).clamp(4096, 1 << 20);
        let p = &self.pending;
        if p.columns.len() + columns.len() > cap || p.ends.len() >= cap || p.ends.len() >= NOT_PRE as usize - 1 {
            self.flush();
        }
        for &i in pre_rows {
            if self.pending.pre_at[i] != NOT_PRE {
                self.row_mut(i); // apply the earlier pre step first: one pending pre step a row
            }
        }
        let p = &mut self.pending;
        p.columns.extend(columns.iter().map(|&j| j as u32));
        p.ends.push(p.columns.len());
        p.uniform_decrease = p.decreases.is_empty() || (p.uniform_decrease && p.decreases[0] == decrease);
        p.increases.push(increase);
        p.decreases.push(decrease);
        let step = (p.ends.len() - 1) as u32;
        for &i in pre_rows {
            p.pre_at[i] = step;
        }
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
        self.pending.clear();
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

    /// Every weight, up to date, for a learning pass over the whole matrix.
    pub(crate) fn data_mut(&mut self) -> &mut [f64] {
        self.flush();
        &mut self.data
    }
}

fn matrix_len(pre: usize, post: usize) -> Result<usize> {
    pre.checked_mul(post).ok_or_else(|| EngineError::Allocation {
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
        let mut w = Weights::from_vec(2, 2, vec![0.1, 0.2, 0.3, 0.4]).unwrap();
        assert_eq!(w.row(1), &[0.3, 0.4]);
        assert!(w.within_unit());
        assert!(!Weights::from_vec(1, 2, vec![-0.5, 2.0]).unwrap().within_unit());
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

#[cfg(test)]
mod pending_tests {
    use super::*;

    #[test]
    fn replay_applies_logged_steps_in_order() {
        let mut w = Weights::from_vec(3, 2, vec![0.5, 0.5, 0.05, 0.5, 0.5, 0.0]).unwrap();
        w.log_step(&[0], 0.2, 0.1, &[]);
        w.log_step(&[0], 0.2, 0.1, &[1]); // row 1 active: +0.2 on column 0, -0.1 on column 1
        w.log_step(&[0, 1], 0.2, 0.1, &[]);
        // row 0: col 0 three times, col 1 once; row 2's dead col 1 stays 0
        assert_eq!(w.row(1), &[0.0 + 0.0, 0.5 - 0.1 - 0.1]);
        let row0 = [0.5 - 0.1 - 0.1 - 0.1, 0.5 - 0.1];
        assert_eq!(
            w.as_slice(),
            &[row0[0], row0[1], 0.0, 0.5 - 0.1 - 0.1, 0.5 - 0.1 - 0.1 - 0.1, 0.0]
        );
    }

    #[test]
    fn a_row_active_twice_without_being_read_gets_both_updates() {
        let mut w = Weights::from_vec(1, 2, vec![0.5, 0.5]).unwrap();
        w.log_step(&[0], 0.25, 0.125, &[0]);
        w.log_step(&[1], 0.25, 0.125, &[0]);
        assert_eq!(w.as_slice(), &[0.5 + 0.25 - 0.125, 0.5 - 0.125 + 0.25]);
    }

    #[test]
    fn the_log_stays_bounded() {
        let mut w = Weights::zeros(64, 64).unwrap();
        w.assign(&vec![0.9; 64 * 64]).unwrap();
        for _ in 0..10_000 {
            w.log_step(&[1, 2, 3], 0.0, 1e-6, &[0]);
        }
        assert!(w.pending.columns.len() <= 4096);
        let expected = (0..10_000).fold(0.9f64, |x, _| x - 1e-6);
        assert_eq!(w.row(5)[1], expected);
        assert_eq!(w.row(0)[1], 0.9);
        assert_eq!(w.row(0)[0], (0..10_000).fold(0.9f64, |x, _| x - 1e-6));
    }
}

//! Learning steps logged per connection and replayed into rows when they are read.
//!
//! A Hebbian step changes, in every silent row, the columns of the active neurons (one
//! cache line per weight, strided), and in every active row the whole row. Instead of
//! doing that at once, the step is logged; a row replays the steps it has not seen, in
//! step order, the next time anyone reads it (an activation, a user reading the weights,
//! or a flush when the log grows too long). Every weight receives exactly the operations,
//! in the same order, that learning them at once would apply, so results are
//! bit-identical; the work moves to a row that is about to be read anyway.

use super::error::{EngineError, Result};
use super::kernels::update_row;
use super::learn::decrease;

/// The logged steps. Step `s` made the columns `columns[ends[s-1]..ends[s]]` active, with
/// rates `increases[s]` and `decreases[s]`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Log {
    columns: Vec<u32>,
    ends: Vec<usize>,
    increases: Vec<f64>,
    decreases: Vec<f64>,
    /// Whether every logged step has the same decrease (the usual case).
    uniform_decrease: bool,
    /// The length of a row: every logged column is below it.
    post: usize,
}

/// What one row has seen of the log: the first `applied` steps, and the one step (if any)
/// at which it was active (`pre_at`). A row is brought up to date before it is logged as
/// active again, so one such step is all it can have pending.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowState {
    applied: u32,
    pre_at: u32,
}

const NOT_PRE: u32 = u32::MAX;

impl RowState {
    const FRESH: RowState = RowState {
        applied: 0,
        pre_at: NOT_PRE,
    };
}

/// The log of one connection and every row's place in it.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub(crate) log: Log,
    pub(crate) rows: Vec<RowState>,
}

impl Pending {
    pub(crate) fn for_rows(pre: usize, post: usize) -> Result<Self> {
        let mut rows = Vec::new();
        rows.try_reserve_exact(pre).map_err(|_| EngineError::Allocation {
            what: format!("learning state for {pre} rows"),
            bytes: pre.checked_mul(8),
        })?;
        rows.resize(pre, RowState::FRESH);
        Ok(Pending {
            log: Log { post, ..Log::default() },
            rows,
        })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.log.ends.is_empty()
    }

    pub(crate) fn has_pending_pre(&self, i: usize) -> bool {
        self.rows[i].pre_at != NOT_PRE
    }

    /// Forgets the log; every row must have seen it (or be overwritten).
    pub(crate) fn clear(&mut self) {
        let log = &mut self.log;
        log.columns.clear();
        log.ends.clear();
        log.increases.clear();
        log.decreases.clear();
        log.uniform_decrease = true;
        self.rows.iter_mut().for_each(|r| *r = RowState::FRESH);
    }

    /// The number of logged column entries, for bounding the log.
    pub(crate) fn len(&self) -> (usize, usize) {
        (self.log.columns.len(), self.log.ends.len())
    }

    /// Appends a step; rows `pre_rows` (already brought up to date) were active in it.
    /// `columns` must be ascending.
    pub(crate) fn push(&mut self, columns: &[usize], increase: f64, decrease: f64, pre_rows: &[usize]) {
        debug_assert!(
            columns.windows(2).all(|w| w[0] < w[1]),
            "logged columns must be ascending"
        );
        let log = &mut self.log;
        // Replay indexes rows with these columns unchecked: keep them in range here.
        assert!(
            columns.iter().all(|&j| j < log.post),
            "a logged column is outside the row"
        );
        log.columns.extend(columns.iter().map(|&j| j as u32));
        log.ends.push(log.columns.len());
        log.uniform_decrease = log.decreases.is_empty() || (log.uniform_decrease && log.decreases[0] == decrease);
        log.increases.push(increase);
        log.decreases.push(decrease);
        let step = (log.ends.len() - 1) as u32;
        for &i in pre_rows {
            self.rows[i].pre_at = step;
        }
    }
}

/// The most steps a log holds before every row is brought up to date.
pub(crate) const MAX_STEPS: usize = NOT_PRE as usize - 1;

impl Log {
    /// Applies the steps `row` has not seen, oldest first. `scratch` holds a row's changes.
    pub(crate) fn replay(&self, state: &mut RowState, row: &mut [f64], scratch: &mut Vec<f64>) {
        self.replay_part(*state, row, 0, scratch);
        *state = self.caught_up();
    }

    /// What a row's state is once it has seen the whole log.
    pub(crate) fn caught_up(&self) -> RowState {
        RowState {
            applied: self.ends.len() as u32,
            pre_at: NOT_PRE,
        }
    }

    /// Applies the steps a row in `state` has not seen to `part`, the columns
    /// `offset..offset + part.len()` of that row, oldest first. Parts of one row are
    /// independent, so threads may replay different parts of a row at once; the caller
    /// sets the row's state to [`caught_up`](Self::caught_up) once every part is done.
    pub(crate) fn replay_part(&self, state: RowState, part: &mut [f64], offset: usize, scratch: &mut Vec<f64>) {
        let from = state.applied as usize;
        let steps = self.ends.len();
        if from == steps {
            return;
        }
        let pre_at = state.pre_at as usize;
        if (from..steps).contains(&pre_at) {
            self.decrease_steps(part, offset, from, pre_at);
            let start = if pre_at == 0 { 0 } else { self.ends[pre_at - 1] };
            scratch.clear();
            scratch.resize(part.len(), -self.decreases[pre_at]);
            for &j in &self.columns[start..self.ends[pre_at]] {
                if let Some(d) = (j as usize).checked_sub(offset).and_then(|k| scratch.get_mut(k)) {
                    *d = self.increases[pre_at];
                }
            }
            update_row(part, scratch);
            self.decrease_steps(part, offset, pre_at + 1, steps);
        } else {
            self.decrease_steps(part, offset, from, steps);
        }
    }

    /// Applies the decrements of steps `from..to` to (part of) a row silent in them.
    fn decrease_steps(&self, part: &mut [f64], offset: usize, from: usize, to: usize) {
        if from >= to {
            return;
        }
        let start = if from == 0 { 0 } else { self.ends[from - 1] };
        if offset == 0 && part.len() == self.post && self.uniform_decrease {
            // A whole row and one rate for every step: a single pass over the logged columns.
            decrease_row(part, &self.columns[start..self.ends[to - 1]], -self.decreases[0]);
            return;
        }
        let (low, high) = (offset as u32, (offset + part.len()) as u32);
        let mut start = start;
        for s in from..to {
            let mut columns = &self.columns[start..self.ends[s]];
            if offset != 0 || part.len() < columns.last().map_or(0, |&j| j as usize + 1) {
                // A step's columns are ascending: keep those of this part.
                let first = columns.partition_point(|&j| j < low);
                let end = columns.partition_point(|&j| j < high);
                columns = &columns[first..end];
            }
            decrease_columns(part, offset, columns, -self.decreases[s]);
            start = self.ends[s];
        }
    }
}

/// Decrements a whole `row` at each of `columns` in turn (a column may repeat).
#[inline]
fn decrease_row(row: &mut [f64], columns: &[u32], delta: f64) {
    for &j in columns {
        // SAFETY: `Pending::push` admits only columns below the row length (`Log::post`),
        // and callers pass whole rows (`row.len() == post`).
        let w = unsafe { row.get_unchecked_mut(j as usize) };
        *w = decrease(*w, delta);
    }
}

/// Decrements `part` (the columns from `offset`) at each of `columns` that falls in it,
/// in turn (a column may repeat).
#[inline]
fn decrease_columns(part: &mut [f64], offset: usize, columns: &[u32], delta: f64) {
    if offset == 0 {
        for &j in columns {
            if let Some(w) = part.get_mut(j as usize) {
                *w = decrease(*w, delta);
            }
        }
    } else {
        for &j in columns {
            if let Some(w) = (j as usize).checked_sub(offset).and_then(|k| part.get_mut(k)) {
                *w = decrease(*w, delta);
            }
        }
    }
}

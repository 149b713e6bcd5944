//! Synapse weights of one connection: a dense pre x post `f64` matrix, row-major.
use crate::allocation::zeroed;
use crate::error::{EngineError, Result};
use crate::kernels::catch_up;
use crate::parallel::{for_chunks, run_split, threads, Job, MIN_PARALLEL_WORK};
use crate::pending::{self, LoggedRows, Pending, RowState};

/// The weights of a connection. Row `i` holds the synapses of pre-synaptic unit `i` onto
/// every post-synaptic unit.
///
/// `within_unit` records that every weight is known to lie in [0, 1] (or be NaN, which
/// clipping leaves alone), so Hebbian learning's final clip only has to look at the weights
/// the step changed. It is cleared whenever weights may have been set from outside.
///
/// Learning's "neuron active, input silent" decrements hit one column per active neuron in
/// every silent row: strided, one cache line per weight. They are not applied at once but
/// logged as per-column counts (see the `pending` module), and a row catches up when it is
/// next needed: when it becomes active, or when anyone reads the weights. Catching up is
/// row-local and gives every weight exactly the value learning step by step gives, so
/// results are bit-identical. Every accessor that exposes weights brings them up to date.
#[derive(Debug, Clone)]
pub struct Weights {
    pre: usize,
    post: usize,
    data: Vec<f64>,
    within_unit: bool,
    pending: Pending,
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
            pending: Pending::for_rows(pre, post)?,
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
            pending: Pending::for_rows(pre, post)?,
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

    /// Where the weights lie in memory, without bringing them up to date (to tell whether
    /// another slice overlaps them).
    pub fn address_range(&self) -> std::ops::Range<usize> {
        let range = self.data.as_ptr_range();
        range.start as usize..range.end as usize
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
        self.pending.replay(i, row, None);
        row
    }

    /// Brings rows `rows` (ascending, distinct) up to date, on several threads when the
    /// work is large. Rows are independent, so the split cannot change any result.
    pub(crate) fn sync_rows(&mut self, rows: &[usize]) {
        let post = self.post.max(1);
        let pending = &self.pending;
        let mut behind: Vec<(&mut [f64], RowState)> = Vec::new();
        let mut wanted = rows
            .iter()
            .copied()
            .filter(|&i| i < pending.rows() && !pending.is_current(i))
            .peekable();
        for (i, row) in self.data.chunks_exact_mut(post).enumerate() {
            match wanted.peek() {
                None => break,
                Some(&next) if next == i => {
                    wanted.next();
                    behind.push((row, pending.state(i)));
                }
                Some(_) => {}
            }
        }
        let work = behind.len() * post;
        for_chunks(&mut behind, work, |chunk, _| {
            for (row, state) in chunk.iter_mut() {
                catch_up(row, pending.owed(*state, 0, post), None);
            }
        });
        self.pending.mark_caught_up(rows.iter().copied());
    }

    /// Adds `v * row i` to `act` for every `(i, v)` in `active` (ascending rows),
    /// bringing those rows up to date on the way. Each row is replayed and read in one
    /// pass while it is in cache. Large sums are split by columns over threads; every unit
    /// still adds its terms in the same order, so the result is identical.
    pub(crate) fn accumulate(&mut self, active: &[(usize, f64)], act: &mut [f64]) {
        let post = self.post;
        if post == 0 || active.is_empty() {
            return;
        }
        let threads = if active.len() * post >= MIN_PARALLEL_WORK {
            threads().min(post)
        } else {
            1
        };
        if threads == 1 {
            for &(i, v) in active {
                let row = &mut self.data[i * post..(i + 1) * post];
                self.pending.replay(i, row, Some((v, act)));
            }
            return;
        }
        let width = post.div_ceil(threads);
        // Per thread: its part of the activation, and its part of every active row.
        let mut jobs: Vec<(&mut [f64], Vec<RowPart<'_>>)> = act
            .chunks_mut(width)
            .map(|a| (a, Vec::with_capacity(active.len())))
            .collect();
        // Each active row is split off the rows after the previous one: work in proportion
        // to the active rows, not to all of them.
        let (mut rest, mut next_row) = (&mut self.data[..], 0);
        for &(i, v) in active {
            if i < next_row || i >= self.pre {
                continue; // rows come ascending and distinct; anything else is skipped
            }
            let (_, from_i) = std::mem::take(&mut rest).split_at_mut((i - next_row) * post);
            let (row, after) = from_i.split_at_mut(post);
            (rest, next_row) = (after, i + 1);
            let state = self.pending.state(i);
            for (part, (_, rows)) in row.chunks_mut(width).zip(jobs.iter_mut()) {
                rows.push((part, v, state));
            }
        }
        let log = &self.pending;
        let run = |k: usize, act: &mut [f64], rows: &mut [RowPart<'_>]| {
            for (part, v, state) in rows.iter_mut() {
                let owed = log.owed(*state, k * width, part.len());
                catch_up(part, owed, Some((*v, &mut *act)));
            }
        };
        let run = &run;
        run_split(
            jobs.iter_mut()
                .enumerate()
                .map(|(k, (a, rows))| -> Job<'_> { Box::new(move || run(k, a, rows)) })
                .collect(),
        );
        self.pending.mark_caught_up(active.iter().map(|&(i, _)| i));
    }

    /// Applies every pending step to every row.
    pub fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let all: Vec<usize> = (0..self.pre).collect();
        self.sync_rows(&all);
        self.pending.clear();
    }

    /// Logs a learning step instead of applying it: `columns` are the active neurons,
    /// `pre_rows` the active inputs. The rows change when they are next read (see the
    /// `pending` module). Rows left behind for long are brought up to date here, so the
    /// log's memory stays fixed.
    pub(crate) fn log_step(
        &mut self,
        columns: &[usize],
        increase: f64,
        decrease: f64,
        pre_rows: &[usize],
    ) -> Result<()> {
        pending::log_step(self, columns, increase, decrease, pre_rows)
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

    /// Checks every weight and records whether all lie within [0, 1] (after weights were
    /// written through a view that is no longer held).
    pub fn recheck_range(&mut self) {
        self.flush();
        self.within_unit = all_within_unit(&self.data);
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

/// Part of an active row for one thread: its columns, the input's value, the row's state.
type RowPart<'a> = (&'a mut [f64], f64, RowState);

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

impl LoggedRows for Weights {
    fn pending(&self) -> &Pending {
        &self.pending
    }

    fn pending_mut(&mut self) -> &mut Pending {
        &mut self.pending
    }

    fn flush_all(&mut self) {
        self.flush();
    }

    fn sync(&mut self, rows: &[usize]) {
        self.sync_rows(rows);
    }
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
    fn within_unit_means_every_weight_in_zero_to_one() {
        assert!(Weights::from_vec(1, 3, vec![0.0, -0.0, 1.0]).unwrap().within_unit());
        assert!(!Weights::from_vec(1, 2, vec![-0.5, 0.5]).unwrap().within_unit());
        assert!(!Weights::from_vec(1, 2, vec![0.5, 1.5]).unwrap().within_unit());
        let mut w = Weights::from_vec(1, 2, vec![0.25, 0.5]).unwrap();
        w.mark_edited();
        assert!(!w.within_unit());
        w.recheck_range();
        assert!(w.within_unit());
        w.assign(&[0.5, 3.0]).unwrap();
        w.recheck_range();
        assert!(!w.within_unit());
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
    use crate::hebbian_rule::update;
    use crate::test_random::uniform;

    #[test]
    fn replay_applies_logged_steps_in_order() {
        let mut w = Weights::from_vec(3, 2, vec![0.5, 0.5, 0.05, 0.5, 0.5, 0.0]).unwrap();
        w.log_step(&[0], 0.2, 0.1, &[]).unwrap();
        w.log_step(&[0], 0.2, 0.1, &[1]).unwrap(); // row 1 active: +0.2 on column 0, -0.1 on column 1
        w.log_step(&[0, 1], 0.2, 0.1, &[]).unwrap();
        // row 0: col 0 three times, col 1 once; row 2's dead col 1 stays 0
        assert_eq!(w.row(1), &[0.0, 0.5 - 0.1 - 0.1]);
        let row0 = [0.5 - 0.1 - 0.1 - 0.1, 0.5 - 0.1];
        assert_eq!(
            w.as_slice(),
            &[row0[0], row0[1], 0.0, 0.5 - 0.1 - 0.1, 0.5 - 0.1 - 0.1 - 0.1, 0.0]
        );
    }

    #[test]
    fn a_row_active_twice_without_being_read_gets_both_updates() {
        let mut w = Weights::from_vec(1, 2, vec![0.5, 0.5]).unwrap();
        w.log_step(&[0], 0.25, 0.125, &[0]).unwrap();
        w.log_step(&[1], 0.25, 0.125, &[0]).unwrap();
        assert_eq!(w.as_slice(), &[0.5 + 0.25 - 0.125, 0.5 - 0.125 + 0.25]);
    }

    #[test]
    fn rows_left_behind_for_long_stay_exact() {
        let mut w = Weights::zeros(64, 64).unwrap();
        w.assign(&vec![0.9; 64 * 64]).unwrap();
        for _ in 0..10_000 {
            w.log_step(&[1, 2, 3], 0.0, 1e-6, &[0]).unwrap();
        }
        let expected = (0..10_000).fold(0.9f64, |x, _| x - 1e-6);
        assert_eq!(w.row(5)[1], expected);
        assert_eq!(w.row(5)[0], 0.9);
        assert_eq!(w.row(0)[1], 0.9);
        assert_eq!(w.row(0)[0], expected);
    }

    /// Random activity over many steps, with reads, rate changes and rows silent for
    /// longer than the ring: every weight equals learning step by step, bit for bit.
    #[test]
    fn logged_learning_equals_learning_at_once() {
        // The last two have a short ring (128 steps) and none at all (every step applied).
        for (pre, post, density, steps) in [
            (40, 24, 0.1, 700),
            (7, 300, 0.02, 700),
            (2, 1 << 13, 0.002, 700),
            (1, 1 << 17, 0.0005, 60),
        ] {
            let mut seed = 11u64 + pre as u64;
            let start: Vec<f64> = uniform(&mut seed, pre * post)
                .into_iter()
                .map(|x| if x < 0.05 { 0.0 } else { x })
                .collect();
            let mut logged = Weights::from_vec(pre, post, start.clone()).unwrap();
            let mut direct = start;
            for step in 0..steps {
                let draws = uniform(&mut seed, pre + post + 1);
                // Some rows go silent for hundreds of steps at a time.
                let quiet = (step / 150) % 2 == 1;
                let pre_rows: Vec<usize> = (0..pre)
                    .filter(|&i| draws[i] < density * 4.0 && !(quiet && i % 2 == 0))
                    .collect();
                let columns: Vec<usize> = (0..post).filter(|&j| draws[pre + j] < density).collect();
                let (inc, dec) = if step % 250 < 200 {
                    (0.005, 0.001)
                } else {
                    (0.01, 3.0 * 2f64.powi(-54))
                };
                let mut on_mask = vec![false; post];
                columns.iter().for_each(|&j| on_mask[j] = true);
                for i in 0..pre {
                    let active = pre_rows.contains(&i);
                    for (j, &on) in on_mask.iter().enumerate() {
                        let w = &mut direct[i * post + j];
                        *w = match (active, on) {
                            (true, true) => update(*w, inc),
                            (false, false) => *w,
                            _ => update(*w, -dec),
                        };
                    }
                }
                logged.log_step(&columns, inc, dec, &pre_rows).unwrap();
                if draws[pre + post] < 0.1 {
                    let i = (draws[0] * pre as f64) as usize;
                    let row = logged.row(i).to_vec();
                    assert_eq!(
                        bits(&row),
                        bits(&direct[i * post..(i + 1) * post]),
                        "row {i} at step {step}"
                    );
                }
            }
            assert_eq!(bits(logged.as_slice()), bits(&direct), "{pre}x{post}");
        }
    }

    /// Large enough that the activation is split over threads by columns (on a machine with
    /// more than one core): the same sums and weights as one pass in order.
    #[test]
    fn threaded_catch_up_equals_one_pass() {
        let (pre, post) = (64, 8192);
        let mut seed = 3u64;
        let start = uniform(&mut seed, pre * post);
        let mut logged = Weights::from_vec(pre, post, start.clone()).unwrap();
        let mut direct = start;
        for step in 0..12 {
            let draws = uniform(&mut seed, pre + post);
            let active: Vec<(usize, f64)> = (0..pre).filter(|&i| draws[i] < 0.6).map(|i| (i, 1.0)).collect();
            assert!(active.len() * post >= MIN_PARALLEL_WORK, "too small to split");
            let mut act = vec![0.0; post];
            logged.accumulate(&active, &mut act);
            let mut want = vec![0.0; post];
            for &(i, v) in &active {
                for (a, &w) in want.iter_mut().zip(&direct[i * post..(i + 1) * post]) {
                    *a += v * w;
                }
            }
            assert_eq!(bits(&act), bits(&want), "activation at step {step}");
            let columns: Vec<usize> = (0..post).filter(|&j| draws[pre + j] < 0.05).collect();
            let pre_rows: Vec<usize> = active.iter().map(|&(i, _)| i).collect();
            let mut on = vec![false; post];
            columns.iter().for_each(|&j| on[j] = true);
            for i in 0..pre {
                let row_active = pre_rows.contains(&i);
                for (j, &col) in on.iter().enumerate() {
                    let w = &mut direct[i * post + j];
                    *w = match (row_active, col) {
                        (true, true) => update(*w, 0.005),
                        (false, false) => *w,
                        _ => update(*w, -0.001),
                    };
                }
            }
            logged.log_step(&columns, 0.005, 0.001, &pre_rows).unwrap();
        }
        assert_eq!(bits(logged.as_slice()), bits(&direct));
    }

    #[test]
    fn rechecking_the_range_or_assigning_settles_the_log() {
        let mut w = Weights::from_vec(2, 2, vec![0.5; 4]).unwrap();
        w.log_step(&[0], 0.25, 0.125, &[1]).unwrap();
        assert!(!w.pending.is_empty());
        w.recheck_range();
        assert!(w.pending.is_empty());
        assert_eq!(w.data, [0.375, 0.5, 0.75, 0.375]);
        // Assigned weights replace the logged steps rather than replay them.
        w.log_step(&[1], 0.25, 0.125, &[]).unwrap();
        w.assign(&[0.5, 0.25, 1.0, 0.0]).unwrap();
        assert!(w.pending.is_empty() && (0..2).all(|i| w.pending.is_current(i)));
        assert_eq!(w.as_slice(), &[0.5, 0.25, 1.0, 0.0]);
    }

    #[test]
    fn syncing_ignores_rows_past_the_last() {
        let mut w = Weights::from_vec(3, 2, vec![0.5; 6]).unwrap();
        w.log_step(&[0], 0.25, 0.125, &[]).unwrap();
        // Row 3 is looked at while row 2 remains.
        w.sync_rows(&[1, 3, 9]);
        assert!(!w.pending.is_current(0) && w.pending.is_current(1) && !w.pending.is_current(2));
        assert_eq!(w.data, [0.5, 0.5, 0.375, 0.5, 0.5, 0.5]);
    }

    /// Work is split over threads (when there is more than one) exactly when it is large:
    /// rows owing steps times columns, or active rows times columns, of at least
    /// `MIN_PARALLEL_WORK`. Rows already current are no work.
    #[test]
    fn only_large_work_is_split_over_threads() {
        use crate::parallel::splits;
        let (pre, post) = (63, 8192);
        assert_eq!(32 * post, MIN_PARALLEL_WORK);
        let split = (threads() > 1) as u64;
        let mut seed = 7u64;
        let start = uniform(&mut seed, pre * post);
        let mut w = Weights::from_vec(pre, post, start.clone()).unwrap();
        let all: Vec<usize> = (0..pre).collect();
        // One step logged: 32 rows owe it, then 31 more; then none.
        w.log_step(&[1, 5000], 0.005, 0.001, &[]).unwrap();
        for (rows, splits_wanted) in [(&all[..32], split), (&all[..], 0), (&all[..], 0)] {
            let before = splits();
            w.sync_rows(rows);
            assert_eq!(splits() - before, splits_wanted, "syncing {} rows", rows.len());
        }
        let mut want = start;
        for row in want.chunks_exact_mut(post) {
            for j in [1, 5000] {
                row[j] = update(row[j], -0.001);
            }
        }
        assert_eq!(bits(&w.data), bits(&want));
        // Adding 32 active rows is split, 31 are not; both give the sums in row order.
        for (rows, splits_wanted) in [(32, split), (31, 0)] {
            let active: Vec<(usize, f64)> = (0..rows).map(|i| (2 * i, 0.5)).collect();
            let mut act = vec![0.0; post];
            let before = splits();
            w.accumulate(&active, &mut act);
            assert_eq!(splits() - before, splits_wanted, "adding {rows} rows");
            let mut sums = vec![0.0; post];
            for &(i, v) in &active {
                for (a, &x) in sums.iter_mut().zip(&want[i * post..(i + 1) * post]) {
                    *a += v * x;
                }
            }
            assert_eq!(bits(&act), bits(&sums), "adding {rows} rows");
        }
    }

    fn bits(values: &[f64]) -> Vec<u64> {
        values.iter().map(|v| v.to_bits()).collect()
    }
}

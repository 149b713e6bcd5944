//! Learning steps logged per connection as column counts, and caught up on when a row is read.
//!
//! A Hebbian step changes, in every silent row, the columns of the active neurons (one
//! cache line per weight, strided), and in every active row the whole row. Instead of
//! doing that at once, each step is logged; a row catches up on the steps it has not seen
//! the next time anyone reads it (an activation, a user reading the weights, a checkpoint).
//!
//! The log is a ring of cumulative counts: after step `c`, `count_c[j]` is how many logged
//! steps had neuron `j` active. A row that was silent through steps `s+1..=c` owes weight
//! `j` exactly `count_c[j] - count_s[j]` decrements, all at the same rate and with nothing
//! else in between (a silent row gets no other change), so the count is all it needs. A
//! row active in step `s+1` first owes that step's whole-row update, whose increased
//! columns are those whose count went up in that step.
//!
//! The decrements are applied by the kernels' `decrease_times` closed form, which equals
//! `n` repetitions of the one-step rule bit for bit; every weight therefore ends with the
//! value learning step by step gives.
//!
//! Counts are `u8` and wrap; a difference is exact while a row is fewer than 256 steps
//! behind. Before each step is logged, [`Pending::overdue`] names, once every quarter of
//! the ring, the rows more than half the ring behind, and the caller brings them up to date.

use crate::allocation::filled;
use crate::error::Result;
use crate::kernels::{catch_up, halfway_binade, Owed};

/// Weights whose learning steps a [`Pending`] logs (dense or sparse): their log, and how
/// they bring rows up to date.
pub(crate) trait LoggedRows {
    fn pending(&self) -> &Pending;
    fn pending_mut(&mut self) -> &mut Pending;
    /// Applies every logged step to every row and empties the log.
    fn flush_all(&mut self);
    /// Brings rows `rows` (ascending, distinct) up to date.
    fn sync(&mut self, rows: &[usize]);
}

/// Logs a learning step of `weights` instead of applying it: `columns` are the active
/// neurons, `pre_rows` the active inputs; the rows change when they are next read. Steps
/// of other rates are settled first, rows left behind for long are brought up to date (so
/// the log's memory stays fixed), and so is an active row not yet current (it usually is:
/// the activation just read it).
pub(crate) fn log_step(
    weights: &mut impl LoggedRows,
    columns: &[usize],
    increase: f64,
    decrease: f64,
    pre_rows: &[usize],
) -> Result<()> {
    if !weights.pending().accepts(increase, decrease) {
        weights.flush_all(); // rows owe steps of other rates: settle them first
    }
    let overdue = weights.pending().overdue();
    if !overdue.is_empty() {
        weights.sync(&overdue);
    }
    let pending = weights.pending();
    let behind: Vec<usize> = pre_rows.iter().copied().filter(|&i| !pending.is_current(i)).collect();
    if !behind.is_empty() {
        weights.sync(&behind);
    }
    weights.pending_mut().push(columns, increase, decrease, pre_rows)?;
    if weights.pending().eager() {
        weights.flush_all();
    }
    Ok(())
}

/// Where one row stands: it has every change of steps `..=synced`, and, when `pre` is set,
/// it was active in step `synced + 1` and owes that step's whole-row update.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RowState {
    synced: u64,
    pre: bool,
}

/// The counts ring of one connection and every row's place in it.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    /// `ring_len` rows of `post` counts: the counts after step `c` are at row `c % ring_len`.
    ring: Vec<u8>,
    ring_len: usize,
    post: usize,
    /// Steps logged so far.
    clock: u64,
    /// The rates of the steps rows may still owe (every such step has the same rates).
    increase: f64,
    decrease: f64,
    /// The decrease's halfway binade (see `kernels::halfway_binade`), found once per rate.
    halfway: u64,
    /// Whether some row may owe a step.
    behind: bool,
    /// Every row's state, read and set through [`state`](Self::state) and
    /// [`mark_caught_up`](Self::mark_caught_up).
    rows: Vec<RowState>,
}

/// The longest ring: counts are `u8`, so a row may fall at most 255 steps behind.
const MAX_RING: usize = 256;
/// Below this many steps of history, logging is not worth it: every step is applied at once.
const MIN_RING: usize = 16;

impl Pending {
    pub(crate) fn for_rows(pre: usize, post: usize) -> Result<Self> {
        Self::with_budget(pre, post, pre.saturating_mul(post).saturating_mul(8))
    }

    /// The log of `pre` rows of `post` columns whose weights take `weight_bytes` (sparse
    /// rows hold fewer weights than columns): the ring takes at most a quarter of that,
    /// or 1 MiB.
    pub(crate) fn with_budget(pre: usize, post: usize, weight_bytes: usize) -> Result<Self> {
        let rows = filled(
            pre,
            RowState { synced: 0, pre: false },
            &format!("learning state for {pre} rows"),
        )?;
        Ok(Pending {
            ring: Vec::new(),
            ring_len: ring_len(weight_bytes, post),
            post,
            clock: 0,
            increase: 0.0,
            decrease: 0.0,
            halfway: halfway_binade(0.0),
            behind: false,
            rows,
        })
    }

    #[cfg(test)]
    pub(crate) fn ring_len_for_tests(&self) -> usize {
        self.ring_len
    }

    /// Whether no row owes any step.
    pub(crate) fn is_empty(&self) -> bool {
        !self.behind
    }

    /// The number of rows.
    pub(crate) fn rows(&self) -> usize {
        self.rows.len()
    }

    /// Where row `i` stands (what it owes is [`owed`](Self::owed) of this).
    #[inline]
    pub(crate) fn state(&self, i: usize) -> RowState {
        self.rows[i]
    }

    /// Whether row `i` has every logged step.
    pub(crate) fn is_current(&self, i: usize) -> bool {
        self.rows[i] == self.caught_up()
    }

    /// Records that `rows` were brought up to date (every part of each, see
    /// [`owed`](Self::owed)); a row past the last is ignored.
    #[inline]
    pub(crate) fn mark_caught_up(&mut self, rows: impl IntoIterator<Item = usize>) {
        let now = self.caught_up();
        for i in rows {
            if let Some(state) = self.rows.get_mut(i) {
                *state = now;
            }
        }
    }

    /// The state of a row that has seen every logged step.
    fn caught_up(&self) -> RowState {
        RowState {
            synced: self.clock,
            pre: false,
        }
    }

    /// Marks every row as current (after they were all brought up to date, or overwritten).
    pub(crate) fn clear(&mut self) {
        let now = self.caught_up();
        self.rows.iter_mut().for_each(|r| *r = now);
        self.behind = false;
    }

    /// Whether steps with these rates can join the log (else the caller flushes first).
    pub(crate) fn accepts(&self, increase: f64, decrease: f64) -> bool {
        !self.behind || (self.increase.to_bits() == increase.to_bits() && self.decrease.to_bits() == decrease.to_bits())
    }

    /// Whether every step should be applied at once (the ring would be too short).
    pub(crate) fn eager(&self) -> bool {
        self.ring_len < MIN_RING
    }

    /// The rows that must catch up before the next [`push`](Self::push): those more than
    /// half the ring behind, checked once every quarter of the ring. Empty otherwise.
    pub(crate) fn overdue(&self) -> Vec<usize> {
        let quarter = (self.ring_len / 4).max(1) as u64;
        if (self.clock + 1) % quarter != 0 {
            return Vec::new();
        }
        let half = (self.ring_len / 2) as u64;
        let clock = self.clock;
        (0..self.rows.len())
            .filter(|&i| clock - self.rows[i].synced > half)
            .collect()
    }

    /// Logs a step: `columns` (each below the row length) were the active neurons, and
    /// `pre_rows` the active inputs, which must all be current ([`is_current`](Self::is_current)). The caller
    /// has already brought [`overdue`](Self::overdue) rows up to date and checked the rates
    /// are [`accepted`](Self::accepts).
    pub(crate) fn push(&mut self, columns: &[usize], increase: f64, decrease: f64, pre_rows: &[usize]) -> Result<()> {
        let (len, post) = (self.ring_len, self.post);
        if self.ring.is_empty() {
            self.ring = filled(
                len * post,
                0,
                &format!("learning log of {len} steps for {post} neurons"),
            )?;
        }
        let from = slot(self.clock, len) * post;
        let to = slot(self.clock + 1, len) * post;
        self.ring.copy_within(from..from + post, to);
        for &j in columns {
            // A repeated column counts once: a neuron is active or not.
            if j < post {
                self.ring[to + j] = self.ring[from + j].wrapping_add(1);
            }
        }
        for &i in pre_rows {
            debug_assert!(self.rows[i] == self.caught_up(), "active rows are current when logged");
            self.rows[i].pre = true;
        }
        self.clock += 1;
        if self.decrease.to_bits() != decrease.to_bits() {
            self.halfway = halfway_binade(decrease);
        }
        self.increase = increase;
        self.decrease = decrease;
        self.behind = true;
        Ok(())
    }

    /// What a row in `state` owes, for its columns `offset..offset + width`. Parts of one
    /// row are independent, so threads may catch up different parts of a row at once; the
    /// caller marks the row [caught up](Self::mark_caught_up) once every part is done.
    pub(crate) fn owed(&self, state: RowState, offset: usize, width: usize) -> Owed<'_> {
        if state.synced == self.clock {
            return Owed::NOTHING;
        }
        let (len, post) = (self.ring_len, self.post);
        let counts = |c: u64| {
            let start = slot(c, len) * post + offset;
            &self.ring[start..start + width]
        };
        let mut base = state.synced;
        let update = if state.pre {
            base += 1;
            Some((counts(base - 1), counts(base)))
        } else {
            None
        };
        Owed {
            update,
            decrements: (base != self.clock).then(|| (counts(base), counts(self.clock))),
            increase: self.increase,
            decrease: self.decrease,
            halfway: self.halfway,
        }
    }

    /// Brings row `i` (all of it) up to date and, with `add = Some((v, act))`, adds
    /// `v * row` to `act` in the same pass.
    pub(crate) fn replay(&mut self, i: usize, row: &mut [f64], add: Option<(f64, &mut [f64])>) {
        catch_up(row, self.owed(self.rows[i], 0, row.len()), add);
        self.rows[i] = self.caught_up();
    }
}

/// The ring row of step `clock`: `clock % len` for a power-of-two `len`, without a division.
#[inline(always)]
fn slot(clock: u64, len: usize) -> usize {
    debug_assert!(len.is_power_of_two());
    (clock as usize) & (len - 1)
}

/// The ring length for `post` columns of weights taking `weight_bytes`: the longest (a
/// power of two, at most 256, at least 2) whose counts take no more than a quarter of the
/// weights' memory or 1 MiB.
fn ring_len(weight_bytes: usize, post: usize) -> usize {
    let budget = (weight_bytes / 4).max(1 << 20);
    let fits = budget / post.max(1);
    if fits >= MAX_RING {
        MAX_RING
    } else if fits <= 2 {
        2 // the least that holds a step's counts before and after it
    } else {
        1 << (usize::BITS - 1 - fits.leading_zeros())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ring of a dense `pre x post` connection.
    fn dense_ring(pre: usize, post: usize) -> usize {
        ring_len(pre.saturating_mul(post).saturating_mul(8), post)
    }

    #[test]
    fn ring_length_follows_the_memory_budget() {
        assert_eq!(dense_ring(100, 100), 256);
        assert_eq!(dense_ring(4096, 4096), 256);
        assert_eq!(dense_ring(1, 1 << 20), 2);
        assert_eq!(dense_ring(4, 1 << 16), 16);
        assert_eq!(dense_ring(2, 1 << 13), 128);
        assert_eq!(dense_ring(1, 1 << 17), 8);
        assert_eq!(dense_ring(0, 0), 256);
        // Large weights: a quarter of their memory, more than 1 MiB.
        assert_eq!(dense_ring(64, 1 << 16), 128);
        assert_eq!(dense_ring(1024, 8192), 256);
    }

    /// A log of `pre` rows of `post` columns (ring of 256 steps while `pre * post` is small).
    fn log(pre: usize, post: usize) -> Pending {
        Pending::for_rows(pre, post).unwrap()
    }

    #[test]
    fn a_step_leaves_rows_behind_until_caught_up_or_cleared() {
        let mut p = log(3, 4);
        assert!(p.is_empty());
        assert!((0..3).all(|i| p.is_current(i)));
        p.push(&[1], 0.25, 0.125, &[2]).unwrap();
        assert!(!p.is_empty());
        assert!((0..3).all(|i| !p.is_current(i)), "every row owes the step");
        p.mark_caught_up([0, 7]); // a row past the last is ignored
        assert!(p.is_current(0) && !p.is_current(1) && !p.is_current(2));
        p.clear();
        assert!(p.is_empty());
        assert!((0..3).all(|i| p.is_current(i)));
        assert_eq!(p.owed(p.state(1), 0, 4).update, None);
    }

    #[test]
    fn the_log_takes_steps_of_the_rates_it_holds() {
        let mut p = log(2, 2);
        // Empty, it takes any rates.
        assert!(p.accepts(0.25, 0.125) && p.accepts(1.0, 0.0));
        p.push(&[0], 0.25, 0.125, &[]).unwrap();
        assert!(p.accepts(0.25, 0.125));
        // Rows owe steps of these rates: others (even -0.0 for 0.0) wait for a flush.
        assert!(!p.accepts(0.5, 0.125));
        assert!(!p.accepts(0.25, 0.5));
        assert!(!p.accepts(0.5, 0.5));
        p.clear();
        assert!(p.accepts(0.5, 0.5));
        p.push(&[0], 0.5, 0.0, &[]).unwrap();
        assert!(p.accepts(0.5, 0.0) && !p.accepts(0.5, -0.0));
    }

    /// What a row owes carries the rates of the log, and the halfway binade of its decrease
    /// (found when the decrease changes), whatever rates the log held before.
    #[test]
    fn what_a_row_owes_carries_the_rates_and_their_halfway_binade() {
        let mut p = log(1, 2);
        for (inc, dec) in [(0.25, 0.001), (0.25, 0.001), (0.5, 3.0 * 2f64.powi(-54)), (0.5, 0.0)] {
            p.push(&[0], inc, dec, &[]).unwrap();
            let owed = p.owed(p.state(0), 0, 2);
            assert_eq!((owed.increase, owed.decrease), (inc, dec));
            assert_eq!(owed.halfway, halfway_binade(dec), "decrease {dec:e}");
            p.clear();
        }
    }

    #[test]
    fn a_short_ring_applies_every_step_at_once() {
        assert_eq!((dense_ring(1, 1 << 17), dense_ring(4, 1 << 16)), (8, 16));
        assert!(log(1, 1 << 17).eager());
        assert!(!log(4, 1 << 16).eager());
        assert!(!log(3, 4).eager());
    }

    /// Once every quarter of the ring (before the push that makes the clock a multiple of
    /// a quarter), the rows more than half the ring behind; no row at any other step.
    #[test]
    fn rows_more_than_half_the_ring_behind_are_overdue_every_quarter() {
        let mut p = log(4, 2);
        assert_eq!(p.ring_len, 256);
        // Row 0 stays current; row 1 falls behind from the start; rows 2 and 3 are caught
        // up at clocks 63 and 62, exactly half the ring and one more behind at clock 191;
        // overdue rows are caught up as the engine does.
        for clock in 0..300u64 {
            let overdue = p.overdue();
            let want: Vec<usize> = match clock {
                191 => vec![1, 3],
                255 => vec![2],
                _ => vec![],
            };
            assert_eq!(overdue, want, "at clock {clock}");
            p.mark_caught_up(overdue);
            match clock {
                62 => p.mark_caught_up([3]),
                63 => p.mark_caught_up([2]),
                _ => {}
            }
            p.mark_caught_up([0]);
            p.push(&[clock as usize % 2], 0.25, 0.125, &[]).unwrap();
        }
    }

    #[test]
    fn a_column_past_the_row_is_not_counted() {
        let mut p = log(1, 3);
        let mut row = [0.5; 3];
        // Through the ring's last slot (step 255), where a count past the row would write
        // past the ring.
        for _ in 0..256 {
            p.push(&[1, 3], 0.25, 0.125, &[]).unwrap();
            p.replay(0, &mut row, None);
        }
        let want = (0..256).fold(0.5f64, |w, _| (w - 0.125).max(0.0));
        assert_eq!(row, [0.5, want, 0.5]);
    }
}

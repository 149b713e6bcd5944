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
        let rows = filled(
            pre,
            RowState { synced: 0, pre: false },
            &format!("learning state for {pre} rows"),
        )?;
        Ok(Pending {
            ring: Vec::new(),
            ring_len: ring_len(pre, post),
            post,
            clock: 0,
            increase: 0.0,
            decrease: 0.0,
            halfway: halfway_binade(0.0),
            behind: false,
            rows,
        })
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

/// The ring length for a `pre x post` connection: the longest (a power of two, at most
/// 256, at least 2) whose counts take no more than a quarter of the weights' memory or 1 MiB.
fn ring_len(pre: usize, post: usize) -> usize {
    let budget = (pre.saturating_mul(post).saturating_mul(8) / 4).max(1 << 20);
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

    #[test]
    fn ring_length_follows_the_memory_budget() {
        assert_eq!(ring_len(100, 100), 256);
        assert_eq!(ring_len(4096, 4096), 256);
        assert_eq!(ring_len(1, 1 << 20), 2);
        assert_eq!(ring_len(4, 1 << 16), 16);
        assert_eq!(ring_len(2, 1 << 13), 128);
        assert_eq!(ring_len(1, 1 << 17), 8);
        assert_eq!(ring_len(0, 0), 256);
    }
}

//! Sparse synapse weights: only the synapses a connection has, as indices and weights.
//!
//! A synapse that is not stored behaves exactly as a dead one (weight 0) of a dense matrix
//! does: it adds `v * 0` to an activation (nothing), counts as connected only when the
//! threshold is at most 0, and learning leaves it at 0. So a sparse connection gives the
//! bits the dense connection holding the same weights and zeros gives.
//!
//! Storage is by input (CSR): `row_start` (pre + 1 offsets), then for every synapse its
//! unit (`cols`, `u32`, ascending within a row) and its weight (`data`, `f64`): 12 bytes a
//! synapse. The activation reads the rows of active inputs, in the summation order of
//! docs/specification.md §3.
//!
//! Learning is logged exactly as for dense weights (see the `pending` module): a step
//! records which units were active, and a row catches up on the steps it has not seen when
//! it is next read, in the same pass as the activation adds it. The log's ring of counts
//! is sized from the synapses' memory, not from a dense matrix's.
use crate::allocation::filled;
use crate::error::{EngineError, Result};
use crate::hebbian_rule::{keep_dead, update};
use crate::kernels::{catch_up_sparse, SparseScratch};
use crate::parallel::{for_chunks, run_split, threads, Job, MIN_PARALLEL_WORK};
use crate::pending::{self, LoggedRows, Pending, RowState};

/// The weights of a sparse connection (see the module docs).
#[derive(Debug, Clone)]
pub struct SparseWeights {
    pre: usize,
    post: usize,
    row_start: Vec<usize>,
    cols: Vec<u32>,
    data: Vec<f64>,
    /// Whether every weight is known to lie in [0, 1] (see [`Weights`](crate::Weights)).
    within_unit: bool,
    pending: Pending,
}

impl SparseWeights {
    /// All-zero weights on the synapses listed by unit: unit `j` reads inputs
    /// `rows[col_start[j]..col_start[j + 1]]`, strictly ascending and below `pre`.
    /// `col_start` has `post + 1` entries, from 0 up to `rows.len()`. The list is dropped
    /// before the weights are allocated, so building takes no more memory than the result.
    pub fn from_columns(pre: usize, post: usize, col_start: Vec<usize>, rows: Vec<u32>) -> Result<Self> {
        check_offsets(&col_start, post, rows.len(), "unit")?;
        check_sizes(pre, post, rows.len())?;
        let mut counts = filled(pre + 1, 0usize, "sparse row offsets")?;
        for j in 0..post {
            let pool = &rows[col_start[j]..col_start[j + 1]];
            check_ascending(pool, pre, || format!("the inputs of unit {j}"))?;
            for &i in pool {
                counts[i as usize + 1] += 1;
            }
        }
        for i in 0..pre {
            counts[i + 1] += counts[i];
        }
        let row_start = counts;
        let mut next = row_start.clone();
        let mut cols = filled(rows.len(), 0u32, "sparse synapse units")?;
        for j in 0..post {
            for &r in &rows[col_start[j]..col_start[j + 1]] {
                cols[next[r as usize]] = j as u32;
                next[r as usize] += 1;
            }
        }
        drop((rows, next));
        let data = filled(cols.len(), 0.0, "sparse weights")?;
        Self::assemble(pre, post, row_start, cols, data)
    }

    /// Weights in compressed sparse row form: input `i` reaches units
    /// `indices[indptr[i]..indptr[i + 1]]` (strictly ascending, below `post`) with weights
    /// `data` at the same places, all finite.
    pub fn from_csr(pre: usize, post: usize, indptr: Vec<usize>, indices: Vec<u32>, data: Vec<f64>) -> Result<Self> {
        check_offsets(&indptr, pre, indices.len(), "input")?;
        check_sizes(pre, post, indices.len())?;
        if data.len() != indices.len() {
            return Err(EngineError::ShapeMismatch {
                what: "sparse synapse weights".into(),
                expected: vec![indices.len()],
                found: vec![data.len()],
            });
        }
        check_finite(&data)?;
        for i in 0..pre {
            check_ascending(&indices[indptr[i]..indptr[i + 1]], post, || {
                format!("the units input {i} reaches")
            })?;
        }
        Self::assemble(pre, post, indptr, indices, data)
    }

    fn assemble(pre: usize, post: usize, row_start: Vec<usize>, cols: Vec<u32>, data: Vec<f64>) -> Result<Self> {
        let within_unit = all_within_unit(&data);
        let pending = Pending::with_budget(pre, post, cols.len().saturating_mul(12))?;
        Ok(SparseWeights {
            pre,
            post,
            row_start,
            cols,
            data,
            within_unit,
            pending,
        })
    }

    pub fn pre(&self) -> usize {
        self.pre
    }

    pub fn post(&self) -> usize {
        self.post
    }

    /// The number of synapses stored.
    pub fn nnz(&self) -> usize {
        self.cols.len()
    }

    /// Where each input's synapses start in [`indices`](Self::indices) (pre + 1 offsets).
    pub fn indptr(&self) -> &[usize] {
        &self.row_start
    }

    /// The unit of every synapse, input by input.
    pub fn indices(&self) -> &[u32] {
        &self.cols
    }

    /// The weight of every synapse, up to date, in the order of [`indices`](Self::indices).
    pub fn data(&mut self) -> &[f64] {
        self.flush();
        &self.data
    }

    /// Raw pointer to the first weight, up to date, for exposing the weights as a numpy
    /// view. The buffer is never reallocated. Callers that hand it out must
    /// [`mark_edited`](Self::mark_edited) too.
    pub fn data_ptr(&mut self) -> *mut f64 {
        self.flush();
        self.data.as_mut_ptr()
    }

    /// Bytes held: indices, weights and offsets (the learning log is apart).
    pub fn bytes(&self) -> usize {
        self.cols.len() * (4 + 8) + self.row_start.len() * 8
    }

    /// Replaces the weight of every synapse (the same number, all finite).
    pub fn assign(&mut self, values: &[f64]) -> Result<()> {
        if values.len() != self.data.len() {
            return Err(EngineError::ShapeMismatch {
                what: "sparse synapse weights".into(),
                expected: vec![self.data.len()],
                found: vec![values.len()],
            });
        }
        check_finite(values)?;
        self.data.copy_from_slice(values);
        self.pending.clear();
        self.within_unit = all_within_unit(&self.data);
        Ok(())
    }

    /// Replaces every weight from a dense row-major (pre x post) matrix, which must be 0
    /// wherever the connection has no synapse.
    pub fn assign_dense(&mut self, values: &[f64]) -> Result<()> {
        let post = self.post;
        if Some(values.len()) != self.pre.checked_mul(post) {
            return Err(EngineError::ShapeMismatch {
                what: "synapses".into(),
                expected: vec![self.pre, post],
                found: vec![values.len()],
            });
        }
        check_finite(values)?;
        for i in 0..self.pre {
            let row = &values[i * post..(i + 1) * post];
            let (start, end) = (self.row_start[i], self.row_start[i + 1]);
            let mut stored = self.cols[start..end].iter().peekable();
            for (j, &w) in row.iter().enumerate() {
                if stored.peek().is_some_and(|&&c| c as usize == j) {
                    stored.next();
                } else if w != 0.0 {
                    return Err(EngineError::InvalidValue(format!(
                        "synapses outside the connection's pattern must be 0, got {w} at ({i}, {j})"
                    )));
                }
            }
        }
        for i in 0..self.pre {
            for p in self.row_start[i]..self.row_start[i + 1] {
                self.data[p] = values[i * post + self.cols[p] as usize];
            }
        }
        self.pending.clear();
        self.within_unit = all_within_unit(&self.data);
        Ok(())
    }

    /// Writes every weight, up to date, into a dense row-major (pre x post) matrix of zeros.
    pub fn write_dense(&mut self, out: &mut [f64]) {
        self.flush();
        for i in 0..self.pre {
            for p in self.row_start[i]..self.row_start[i + 1] {
                out[i * self.post + self.cols[p] as usize] = self.data[p];
            }
        }
    }

    /// Whether the synapses are exactly those of a CSR `indptr`/`indices` pattern.
    pub fn same_pattern(&self, indptr: &[usize], indices: &[u32]) -> bool {
        self.row_start == indptr && self.cols == indices
    }

    pub fn within_unit(&self) -> bool {
        self.within_unit
    }

    /// The weights may be edited from outside: the next learning step checks every one.
    pub fn mark_edited(&mut self) {
        self.within_unit = false;
    }

    pub fn recheck_range(&mut self) {
        self.flush();
        self.within_unit = all_within_unit(&self.data);
    }

    /// Applies every logged step to every row.
    pub fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let all: Vec<usize> = (0..self.pre).collect();
        self.sync_rows(&all);
        self.pending.clear();
    }

    /// Brings rows `rows` (ascending, distinct) up to date, on several threads when the
    /// work is large. Rows are independent, so the split cannot change any result.
    fn sync_rows(&mut self, rows: &[usize]) {
        let pending = &self.pending;
        let mut behind: Vec<(&[u32], &mut [f64], RowState)> = Vec::new();
        let (mut rest, mut next_row) = (&mut self.data[..], 0);
        for &i in rows {
            if i < next_row || i >= self.pre || pending.is_current(i) {
                continue;
            }
            let (start, end) = (self.row_start[i], self.row_start[i + 1]);
            let (_, from_i) = std::mem::take(&mut rest).split_at_mut(start - self.row_start[next_row]);
            let (row, after) = from_i.split_at_mut(end - start);
            (rest, next_row) = (after, i + 1);
            behind.push((&self.cols[start..end], row, pending.state(i)));
        }
        let work = behind.iter().map(|(c, _, _)| c.len()).sum();
        for_chunks(&mut behind, work, |chunk, _| {
            let mut scratch = SparseScratch::default();
            for (cols, row, state) in chunk.iter_mut() {
                catch_up_sparse(cols, row, 0, pending.owed(*state, 0, self.post), None, &mut scratch);
            }
        });
        self.pending.mark_caught_up(rows.iter().copied());
    }

    /// Adds `v * W[i, j]` to `act[j]` for every `(i, v)` in `active` (ascending inputs),
    /// bringing those rows up to date in the same pass: the activation of §3. Large sums
    /// are split by units over threads; every unit adds its terms in the same order, so
    /// the result is identical.
    pub(crate) fn accumulate(&mut self, active: &[(usize, f64)], act: &mut [f64]) {
        let active: Vec<(usize, f64)> = active.iter().copied().filter(|&(i, _)| i < self.pre).collect();
        let work: usize = active
            .iter()
            .map(|&(i, _)| self.row_start[i + 1] - self.row_start[i])
            .sum();
        let threads = if work >= MIN_PARALLEL_WORK {
            threads().min(self.post)
        } else {
            1
        };
        let width = self.post.div_ceil(threads.max(1)).max(1);
        // Per thread: its part of the activation, and its part of every active row.
        let mut jobs: Vec<(&mut [f64], Vec<RowPart<'_>>)> = act
            .chunks_mut(width)
            .map(|a| (a, Vec::with_capacity(active.len())))
            .collect();
        let (mut rest, mut next_row) = (&mut self.data[..], 0);
        for &(i, v) in &active {
            if i < next_row {
                continue; // rows come ascending and distinct; anything else is skipped
            }
            let (start, end) = (self.row_start[i], self.row_start[i + 1]);
            let (_, from_i) = std::mem::take(&mut rest).split_at_mut(start - self.row_start[next_row]);
            let (mut row, after) = from_i.split_at_mut(end - start);
            (rest, next_row) = (after, i + 1);
            let mut cols = &self.cols[start..end];
            let state = self.pending.state(i);
            for (k, (_, parts)) in jobs.iter_mut().enumerate() {
                let split = cols.partition_point(|&c| (c as usize) < (k + 1) * width);
                let (here, later) = std::mem::take(&mut row).split_at_mut(split);
                parts.push((&cols[..split], here, v, state));
                (cols, row) = (&cols[split..], later);
            }
        }
        let log = &self.pending;
        let run = |k: usize, act: &mut [f64], parts: &mut [RowPart<'_>]| {
            let mut scratch = SparseScratch::default();
            for (cols, row, v, state) in parts.iter_mut() {
                let owed = log.owed(*state, k * width, act.len());
                catch_up_sparse(cols, row, k * width, owed, Some((*v, &mut *act)), &mut scratch);
            }
        };
        let run = &run;
        run_split(
            jobs.iter_mut()
                .enumerate()
                .map(|(k, (a, parts))| -> Job<'_> { Box::new(move || run(k, a, parts)) })
                .collect(),
        );
        self.pending.mark_caught_up(active.iter().map(|&(i, _)| i));
    }

    /// `act[j] += v * (1 if W[i, j] >= threshold else 0)`: the activation counting
    /// connected synapses. A missing synapse (weight 0) counts when `threshold <= 0`.
    pub(crate) fn accumulate_connected(&mut self, active: &[(usize, f64)], threshold: f64, act: &mut [f64]) {
        let rows: Vec<usize> = active.iter().map(|&(i, _)| i).collect();
        self.sync_rows(&rows);
        let count = |w: f64| if w >= threshold { 1.0 } else { 0.0 };
        for &(i, v) in active.iter().filter(|&&(i, _)| i < self.pre) {
            let (start, end) = (self.row_start[i], self.row_start[i + 1]);
            let mut stored = self.cols[start..end].iter().zip(&self.data[start..end]).peekable();
            if 0.0 < threshold {
                for (&j, &w) in stored {
                    act[j as usize] += v * count(w);
                }
                continue;
            }
            for (j, a) in act.iter_mut().enumerate() {
                let w = match stored.peek() {
                    Some(&(&c, &w)) if c as usize == j => {
                        stored.next();
                        w
                    }
                    _ => 0.0,
                };
                *a += v * count(w);
            }
        }
    }

    /// One Hebbian step (docs/specification.md §4) over the synapses: with pre = input
    /// active and post = unit active, pre & post gain `increase`, pre xor post lose
    /// `decrease`, a weight of exactly 0 stays 0, every weight is clipped to [0, 1].
    /// `pre_ones` and `post_ones` are ascending. Within [0, 1] the step is logged (see the
    /// module docs); when weights may lie outside (set from outside), every synapse is
    /// visited once.
    pub(crate) fn learn(
        &mut self,
        pre_ones: &[usize],
        post_ones: &[usize],
        increase: f64,
        decrease: f64,
    ) -> Result<()> {
        if !self.within_unit {
            self.flush();
            let mut post_mask = vec![false; self.post];
            post_ones.iter().for_each(|&j| post_mask[j] = true);
            let mut pre_mask = vec![false; self.pre];
            pre_ones.iter().for_each(|&i| pre_mask[i] = true);
            for (i, &is_pre) in pre_mask.iter().enumerate() {
                for p in self.row_start[i]..self.row_start[i + 1] {
                    let (w, is_post) = (self.data[p], post_mask[self.cols[p] as usize]);
                    self.data[p] = match (is_pre, is_post) {
                        (true, true) => update(w, increase),
                        (false, false) => keep_dead(w),
                        _ => update(w, -decrease),
                    };
                }
            }
        } else if increase != 0.0 || decrease != 0.0 {
            pending::log_step(self, post_ones, increase, decrease, pre_ones)?;
        }
        self.within_unit = true;
        Ok(())
    }
}

/// Part of an active row for one thread: its units, weights, the input's value, the
/// row's state.
type RowPart<'a> = (&'a [u32], &'a mut [f64], f64, RowState);

fn check_offsets(offsets: &[usize], n: usize, nnz: usize, what: &str) -> Result<()> {
    if offsets.len() != n + 1 {
        return Err(EngineError::ShapeMismatch {
            what: format!("sparse offsets (one per {what}, plus one)"),
            expected: vec![n + 1],
            found: vec![offsets.len()],
        });
    }
    if offsets[0] != 0 || offsets[n] != nnz || offsets.windows(2).any(|w| w[0] > w[1]) {
        let falls = offsets.windows(2).any(|w| w[0] > w[1]);
        return Err(EngineError::InvalidValue(format!(
            "sparse offsets must start at 0, never fall and end at the number of synapses ({nnz}), got {} to {}{}",
            offsets[0],
            offsets[n],
            if falls { " with a fall" } else { "" }
        )));
    }
    Ok(())
}

fn check_sizes(pre: usize, post: usize, nnz: usize) -> Result<()> {
    let limit = u32::MAX as usize;
    if pre > limit || post > limit {
        return Err(EngineError::InvalidParameter {
            name: "synapses",
            message: format!("a sparse connection joins at most {limit} inputs and units, got {pre} and {post}"),
        });
    }
    let _ = nnz;
    Ok(())
}

fn check_ascending(values: &[u32], bound: usize, what: impl Fn() -> String) -> Result<()> {
    if let Some(w) = values.windows(2).find(|w| w[0] >= w[1]) {
        return Err(EngineError::InvalidValue(format!(
            "{} must be distinct and ascending, got {} then {}",
            what(),
            w[0],
            w[1]
        )));
    }
    if let Some(&last) = values.last() {
        if last as usize >= bound {
            return Err(EngineError::Index(format!(
                "{} must be below {bound}, got {last}",
                what()
            )));
        }
    }
    Ok(())
}

fn check_finite(values: &[f64]) -> Result<()> {
    match values.iter().position(|w| !w.is_finite()) {
        None => Ok(()),
        Some(p) => Err(EngineError::InvalidValue(format!(
            "synapses must be finite, got {} at synapse {p}",
            values[p]
        ))),
    }
}

#[allow(clippy::manual_range_contains)]
fn all_within_unit(values: &[f64]) -> bool {
    values.iter().all(|&w| !(w < 0.0 || w > 1.0))
}

impl LoggedRows for SparseWeights {
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
    use crate::synapses::Synapses;
    use crate::test_random::uniform;
    use crate::weights::Weights;

    /// A random pattern of density `density` with random weights (some exactly 0, some
    /// outside [0, 1] when `wild`), as sparse weights and as the dense matrix holding the
    /// same weights and zeros.
    fn random_pair(pre: usize, post: usize, density: f64, wild: bool, seed: &mut u64) -> (SparseWeights, Weights) {
        let draws = uniform(seed, 2 * pre * post);
        let (mut indptr, mut indices, mut data) = (vec![0], Vec::new(), Vec::new());
        let mut dense = vec![0.0; pre * post];
        for i in 0..pre {
            for j in 0..post {
                if draws[i * post + j] < density {
                    let mut w = draws[pre * post + i * post + j];
                    if w < 0.05 {
                        w = 0.0;
                    } else if wild && w > 0.9 {
                        w = 3.0 * w - 1.5;
                    } else if wild && w < 0.15 {
                        w = -w; // set from outside below 0: not connected even at threshold 0
                    }
                    indices.push(j as u32);
                    data.push(w);
                    dense[i * post + j] = w;
                }
            }
            indptr.push(indices.len());
        }
        let sparse = SparseWeights::from_csr(pre, post, indptr, indices, data).unwrap();
        (sparse, Weights::from_vec(pre, post, dense).unwrap())
    }

    fn bits(values: &[f64]) -> Vec<u64> {
        values.iter().map(|v| v.to_bits()).collect()
    }

    fn dense_of(w: &mut SparseWeights) -> Vec<f64> {
        let mut out = vec![0.0; w.pre() * w.post()];
        w.write_dense(&mut out);
        out
    }

    /// Random activity over many steps: the activation (by weight and by connected count,
    /// thresholds above and at 0) and Hebbian learning give the dense matrix's bits, with
    /// weights inside [0, 1] and outside, and sizes large enough to split over threads.
    #[test]
    fn sparse_equals_dense_with_zeros() {
        for (pre, post, density, steps, wild) in [
            (30, 20, 0.3, 60, false),
            (30, 20, 0.3, 60, true),
            (1, 7, 1.0, 10, false),
            (5, 1, 0.5, 10, true),
            (800, 2000, 0.45, 3, false),
        ] {
            let mut seed = 5 + pre as u64;
            let (sparse, dense) = random_pair(pre, post, density, wild, &mut seed);
            let (mut sparse, mut dense) = (Synapses::from(sparse), Synapses::from(dense));
            for step in 0..steps {
                let draws = uniform(&mut seed, pre + post);
                let active: Vec<(usize, f64)> = (0..pre)
                    .filter(|&i| draws[i] < 0.4)
                    .map(|i| (i, if i % 3 == 0 { 1.0 } else { -0.5 + draws[i] }))
                    .collect();
                for connected in [None, Some(0.5), Some(0.0), Some(-1.0)] {
                    let (mut a, mut b) = (vec![0.0; post], vec![0.0; post]);
                    let before = crate::parallel::splits();
                    sparse.accumulate(&active, connected, &mut a);
                    if pre == 800 && connected.is_none() {
                        let split = (crate::parallel::threads() > 1) as u64;
                        assert_eq!(crate::parallel::splits() - before, split, "large sums are split");
                    }
                    dense.accumulate(&active, connected, &mut b);
                    assert_eq!(bits(&a), bits(&b), "{pre}x{post} step {step} connected {connected:?}");
                }
                let pre_ones: Vec<usize> = active.iter().map(|&(i, _)| i).collect();
                let post_ones: Vec<usize> = (0..post).filter(|&j| draws[pre + j] < 0.3).collect();
                let (inc, dec) = match step % 7 {
                    3 => (0.0, 0.0),
                    4 => (0.0, 0.02),
                    5 => (0.05, 0.0),
                    _ => (0.05, 0.02),
                };
                sparse
                    .sparse_mut()
                    .unwrap()
                    .learn(&pre_ones, &post_ones, inc, dec)
                    .unwrap();
                let rule = crate::learning::Hebbian::new(inc, dec).unwrap();
                let conn = crate::test_support::connection(&vec![0.0; pre], dense.to_dense().unwrap(), post);
                {
                    let src = conn.source().clone();
                    if let crate::source::Source::Whole(a) = src {
                        let mut values = vec![0.0; pre];
                        pre_ones.iter().for_each(|&i| values[i] = 1.0);
                        a.write().unwrap().assign(&values).unwrap();
                    }
                }
                if wild && step == 0 {
                    conn.weights_mut().mark_edited();
                }
                let mut post_values = vec![0.0; post];
                post_ones.iter().for_each(|&j| post_values[j] = 1.0);
                rule.learn(&conn, &post_values).unwrap();
                dense = Synapses::from(Weights::from_vec(pre, post, conn.weights_mut().to_dense().unwrap()).unwrap());
                // Read back only now and then: rows stay behind in the log in between.
                if step % 5 == 4 || step + 1 == steps {
                    let got = dense_of(sparse.sparse_mut().unwrap());
                    let want = dense.to_dense().unwrap();
                    assert_eq!(bits(&got), bits(&want), "{pre}x{post} weights at step {step}");
                }
            }
        }
    }

    #[test]
    fn built_by_unit_or_by_input_the_same() {
        // Unit 0 reads inputs 1 and 2, unit 1 none, unit 2 reads 0 and 2.
        let by_unit = SparseWeights::from_columns(3, 3, vec![0, 2, 2, 4], vec![1, 2, 0, 2]).unwrap();
        assert_eq!(by_unit.indptr(), &[0, 1, 2, 4]);
        assert_eq!(by_unit.indices(), &[2, 0, 0, 2]);
        let by_input = SparseWeights::from_csr(3, 3, vec![0, 1, 2, 4], vec![2, 0, 0, 2], vec![0.0; 4]).unwrap();
        assert!(by_unit.same_pattern(by_input.indptr(), by_input.indices()));
        assert!(!by_unit.same_pattern(&[0, 1, 2, 4], &[2, 0, 1, 2]));
    }

    #[test]
    fn bad_patterns_are_errors() {
        let err = SparseWeights::from_columns(3, 2, vec![0, 2, 3], vec![1, 1, 0]).unwrap_err();
        assert!(
            err.to_string().contains("unit 0") && err.to_string().contains("distinct"),
            "{err}"
        );
        let err = SparseWeights::from_columns(3, 2, vec![0, 1, 2], vec![1, 3]).unwrap_err();
        assert!(matches!(err, EngineError::Index(_)), "{err}");
        let err = SparseWeights::from_columns(3, 2, vec![0, 1], vec![1]).unwrap_err();
        assert!(matches!(err, EngineError::ShapeMismatch { .. }), "{err}");
        for offsets in [vec![0, 2, 1], vec![1, 1, 2], vec![0, 1, 1]] {
            let err = SparseWeights::from_csr(2, 2, offsets.clone(), vec![0, 1], vec![0.5; 2]).unwrap_err();
            assert!(err.to_string().contains("never fall"), "{offsets:?}: {err}");
        }
        let err = SparseWeights::from_csr(2, 2, vec![0, 2, 1], vec![0, 1], vec![0.5; 2]).unwrap_err();
        assert!(err.to_string().contains("never fall"), "{err}");
        let err = SparseWeights::from_csr(1, 2, vec![0, 2], vec![0, 1], vec![0.5, f64::NAN]).unwrap_err();
        assert!(err.to_string().contains("NaN"), "{err}");
        let err = SparseWeights::from_csr(1, 2, vec![0, 2], vec![0, 1], vec![0.5]).unwrap_err();
        assert!(matches!(err, EngineError::ShapeMismatch { .. }), "{err}");
        let err = SparseWeights::from_csr(1, 2, vec![0, 1], vec![2], vec![0.5]).unwrap_err();
        assert!(err.to_string().contains("below 2"), "{err}");
    }

    #[test]
    fn dense_assignment_keeps_the_pattern() {
        let mut w = SparseWeights::from_csr(2, 2, vec![0, 1, 2], vec![1, 0], vec![0.5, 0.25]).unwrap();
        w.assign_dense(&[0.0, 0.75, 2.0, 0.0]).unwrap();
        assert_eq!(w.data(), &[0.75, 2.0]);
        assert!(!w.within_unit());
        let err = w.assign_dense(&[0.5, 0.75, 2.0, 0.0]).unwrap_err();
        assert!(
            err.to_string().contains("(0, 0)") && err.to_string().contains("0.5"),
            "{err}"
        );
        assert_eq!(w.data(), &[0.75, 2.0], "a refused assignment changes nothing");
        assert!(w.assign_dense(&[0.0; 3]).is_err());
        assert!(w.assign(&[0.1, f64::INFINITY]).is_err());
        w.assign(&[0.1, 0.2]).unwrap();
        assert!(w.within_unit());
    }

    #[test]
    fn compact_picks_the_smaller_store() {
        let sparse = SparseWeights::from_columns(100, 100, (0..=100).collect(), (0..100).collect()).unwrap();
        assert!(Synapses::compact(sparse).unwrap().is_sparse());
        let full = SparseWeights::from_columns(2, 2, vec![0, 2, 4], vec![0, 1, 0, 1]).unwrap();
        let mut dense = Synapses::compact(full).unwrap();
        assert!(!dense.is_sparse());
        assert_eq!(dense.to_dense().unwrap(), vec![0.0; 4]);
    }

    /// Hundreds of steps of sparse activity, rows silent for longer than the ring, rate
    /// changes and reads now and then: every weight equals the dense matrix's, bit for bit.
    #[test]
    fn long_runs_with_rows_left_behind_stay_exact() {
        let (pre, post) = (40, 300);
        let mut seed = 17u64;
        let (sparse, dense) = random_pair(pre, post, 0.2, false, &mut seed);
        let (mut sparse, mut dense) = (sparse, dense);
        assert!(
            sparse.pending.ring_len_for_tests() < 300,
            "rows fall behind by more than the ring"
        );
        for step in 0..1200 {
            let draws = uniform(&mut seed, pre + post + 1);
            let quiet = (step / 300) % 2 == 1;
            let pre_ones: Vec<usize> = (0..pre).filter(|&i| draws[i] < 0.1 && !(quiet && i % 2 == 0)).collect();
            let post_ones: Vec<usize> = (0..post).filter(|&j| draws[pre + j] < 0.05).collect();
            let (inc, dec) = if step % 250 < 200 {
                (0.005, 0.001)
            } else {
                (0.01, 3.0 * 2f64.powi(-54))
            };
            let active: Vec<(usize, f64)> = pre_ones.iter().map(|&i| (i, 1.0)).collect();
            // Every fifth step learns without reading the active rows first.
            if step % 5 != 2 {
                let (mut a, mut b) = (vec![0.0; post], vec![0.0; post]);
                sparse.accumulate(&active, &mut a);
                dense.accumulate(&active, &mut b);
                assert_eq!(bits(&a), bits(&b), "activation at step {step}");
            }
            sparse.learn(&pre_ones, &post_ones, inc, dec).unwrap();
            dense.log_step(&post_ones, inc, dec, &pre_ones).unwrap();
            if draws[pre + post] < 0.02 {
                assert_eq!(bits(&dense_of(&mut sparse)), bits(dense.as_slice()), "step {step}");
            }
        }
        assert_eq!(bits(&dense_of(&mut sparse)), bits(dense.as_slice()));
    }

    /// 12 bytes a synapse and 8 an input (plus one): the size `Synapses::compact` weighs
    /// against a dense matrix's 8 bytes a pair, keeping the smaller.
    #[test]
    fn sizes_are_counted_and_decide_the_storage() {
        let w = SparseWeights::from_csr(3, 4, vec![0, 2, 2, 3], vec![0, 3, 1], vec![0.1, 0.2, 0.3]).unwrap();
        assert_eq!((w.nnz(), w.bytes()), (3, 3 * 12 + 4 * 8));
        // One input, four units: dense is 32 bytes; one synapse takes 12 + 16, two 24 + 16.
        let one = SparseWeights::from_csr(1, 4, vec![0, 1], vec![2], vec![0.5]).unwrap();
        assert!(Synapses::compact(one).unwrap().is_sparse());
        let two = SparseWeights::from_csr(1, 4, vec![0, 2], vec![1, 2], vec![0.5, 0.25]).unwrap();
        let mut dense = Synapses::compact(two).unwrap();
        assert!(!dense.is_sparse());
        assert_eq!(dense.to_dense().unwrap(), vec![0.0, 0.5, 0.25, 0.0]);
        // Equal sizes (two synapses of 1 x 5: 40 bytes either way) go dense.
        let equal = SparseWeights::from_csr(1, 5, vec![0, 2], vec![0, 4], vec![0.5, 0.25]).unwrap();
        assert_eq!(equal.bytes(), 40);
        assert!(!Synapses::compact(equal).unwrap().is_sparse());
    }

    /// Weights written from outside (through `data_ptr`, as a numpy view does) may leave
    /// [0, 1]: once marked edited, the next learning step clips every one; rechecking
    /// finds them back in range.
    #[test]
    fn edits_from_outside_are_clipped_by_the_next_step() {
        let mut w = SparseWeights::from_csr(2, 2, vec![0, 1, 2], vec![0, 1], vec![0.5, 0.5]).unwrap();
        assert!(w.within_unit());
        let p = w.data_ptr();
        // SAFETY: two weights, written while nothing else borrows them.
        unsafe { *p.add(1) = 3.0 };
        w.mark_edited();
        assert!(!w.within_unit());
        w.learn(&[], &[], 0.1, 0.1).unwrap(); // no activity: only the clip applies
        assert_eq!(w.data(), &[0.5, 1.0]);
        assert!(w.within_unit());
        w.mark_edited();
        w.recheck_range();
        assert!(w.within_unit(), "every weight is back within [0, 1]");
    }

    /// What the bindings call on `Synapses`, for both storages: a dense assignment (0
    /// outside a sparse pattern), the edited mark and its recheck, flushing logged steps.
    #[test]
    fn synapses_dispatch_to_either_storage() {
        let sparse = SparseWeights::from_csr(2, 3, vec![0, 1, 2], vec![2, 0], vec![0.5, 0.25]).unwrap();
        for mut synapses in [Synapses::from(sparse), Synapses::from(Weights::zeros(2, 3).unwrap())] {
            let values = [0.0, 0.0, 0.75, 0.125, 0.0, 0.0];
            synapses.assign_dense(&values).unwrap();
            assert_eq!(synapses.to_dense().unwrap(), values);
            synapses.mark_edited();
            assert!(!synapses.within_unit());
            synapses.recheck_range();
            assert!(synapses.within_unit());
            assert_eq!(synapses.dense_mut().is_some(), !synapses.is_sparse());
            assert_eq!(synapses.sparse_mut().is_some(), synapses.is_sparse());
            // A logged step (input 0 active, unit 0 active), flushed: every weight up to date.
            match &mut synapses {
                Synapses::Sparse(w) => w.learn(&[0], &[0], 0.5, 0.125).unwrap(),
                Synapses::Dense(w) => w.log_step(&[0], 0.5, 0.125, &[0]).unwrap(),
            }
            synapses.flush();
            let (pre, post) = (synapses.pre(), synapses.post());
            assert_eq!((pre, post), (2, 3));
            assert_eq!(synapses.to_dense().unwrap(), [0.0, 0.0, 0.625, 0.0, 0.0, 0.0]);
        }
    }

    #[test]
    fn a_negative_weight_alone_is_out_of_range() {
        let w = SparseWeights::from_csr(1, 2, vec![0, 2], vec![0, 1], vec![-0.5, 0.5]).unwrap();
        assert!(!w.within_unit());
        let w = SparseWeights::from_csr(1, 2, vec![0, 2], vec![0, 1], vec![0.25, 0.5]).unwrap();
        assert!(w.within_unit());
    }
}

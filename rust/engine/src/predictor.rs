//! Online n-step-ahead prediction (`protobrain.predictor.Predictor` in Python): the
//! semantics of htm.core's `Classifier` and `Predictor` (its SDR classifier), written anew.
//!
//! A [`Classifier`] is a single-layer network from the bits of a binary input pattern to
//! categories (the buckets of a scalar, say). It keeps one weight per input bit per
//! category, all starting at 0. To *infer*, the weights of the active bits are summed per
//! category (active bits in ascending order, from 0.0) and turned into a probability
//! distribution by a softmax: `exp(v - max v)` per category (the C library's `exp`),
//! summed in category order from 0.0, each divided by the sum. A classifier that has
//! learned nothing infers an empty distribution. To *learn* a pattern with categories
//! `c_1..c_k` (distinct), the classifier first grows to `max c + 1` categories when it has
//! fewer (new weights 0), infers, and adds `alpha * (target - pdf)` to the weights of every
//! active bit, `target` being `1/k` at each `c_i` and 0 elsewhere.
//!
//! A [`Predictor`] holds one classifier per prediction distance `n` (its *steps*) and the
//! last `max(steps) + 1` patterns it learned, with their record numbers (which increase;
//! a gap means missing records). Learning record `r`'s pattern with its categories teaches
//! each step `n`'s classifier the pattern of record `r - n`, when the history holds it, to
//! mean those categories; inferring gives every step's distribution for a pattern.
//! [`Predictor::reset`] forgets the history, not the weights.
//!
//! Where this differs from htm.core (everything else follows it): numbers are `f64`
//! throughout (htm.core keeps `alpha` and the softmax's sum in `f32`); alpha must be in
//! (0, 1] and steps in 1..=[`MAX_STEP`], distinct; categories of one learning step must
//! be distinct (htm.core gives `1/k` to each listed category, so a repeated one would
//! leave the target summing to less than 1) and below [`MAX_CATEGORIES`]; and a pattern
//! of another size than the first one learned, an active index out of range or out of
//! order is an error (htm.core only asserts in debug builds). Every bad input is an
//! [`EngineError`] and leaves the object unchanged.
use std::collections::VecDeque;

use crate::allocation::{shape_size, zeroed};
use crate::error::{EngineError, Result};

/// Categories are numbered `0..MAX_CATEGORIES` (2**20): a classifier keeps a weight per
/// input bit per category up to the largest it has seen.
pub const MAX_CATEGORIES: usize = 1 << 20;

/// The largest prediction distance (2**20); a predictor keeps `max(steps) + 1` patterns.
pub const MAX_STEP: usize = 1 << 20;

/// The largest input pattern (2**32 - 1 bits): active indices are `u32`.
pub const MAX_INPUT_SIZE: usize = u32::MAX as usize;

/// htm.core's default learning rate.
pub const DEFAULT_ALPHA: f64 = 0.001;

fn check_alpha(alpha: f64) -> Result<()> {
    if alpha > 0.0 && alpha <= 1.0 {
        Ok(())
    } else {
        Err(EngineError::InvalidParameter {
            name: "alpha",
            message: format!("must be a number in (0, 1], got {alpha}"),
        })
    }
}

/// Checks a pattern: `size` in 1..=[`MAX_INPUT_SIZE`], `active` strictly ascending and
/// below `size`.
fn check_pattern(active: &[u32], size: usize) -> Result<()> {
    if size == 0 || size > MAX_INPUT_SIZE {
        return Err(EngineError::InvalidParameter {
            name: "size",
            message: format!("a pattern must have 1 to {MAX_INPUT_SIZE} bits, got {size}"),
        });
    }
    if let Some(&last) = active.last() {
        if last as usize >= size {
            return Err(EngineError::Index(format!(
                "active input {last} is out of range for a pattern of {size} bits"
            )));
        }
    }
    if let Some(pair) = active.windows(2).find(|pair| pair[0] >= pair[1]) {
        return Err(EngineError::InvalidValue(format!(
            "active inputs must be ascending and distinct, got {} before {}",
            pair[0], pair[1]
        )));
    }
    Ok(())
}

/// Checks a pattern, and that it has `input_size` bits when that is known (not 0).
fn check_input(input_size: usize, active: &[u32], size: usize) -> Result<()> {
    check_pattern(active, size)?;
    if input_size != 0 && size != input_size {
        return Err(EngineError::ShapeMismatch {
            what: "a pattern".into(),
            expected: vec![input_size],
            found: vec![size],
        });
    }
    Ok(())
}

/// Checks the categories of one learning step (at least one, distinct, each below
/// [`MAX_CATEGORIES`]) and returns the largest.
fn check_categories(categories: &[usize]) -> Result<usize> {
    let Some(&largest) = categories.iter().max() else {
        return Err(EngineError::InvalidValue("learning needs at least one category".into()));
    };
    if largest >= MAX_CATEGORIES {
        return Err(EngineError::InvalidValue(format!(
            "a category must be below {MAX_CATEGORIES}, got {largest}"
        )));
    }
    for (i, c) in categories.iter().enumerate() {
        if categories[..i].contains(c) {
            return Err(EngineError::InvalidValue(format!(
                "the categories of one step must be distinct, got {c} twice"
            )));
        }
    }
    Ok(largest)
}

/// Turns summed weights into a probability distribution in place (see the module docs).
fn softmax(values: &mut [f64]) {
    let Some(max) = values.iter().copied().reduce(f64::max) else {
        return;
    };
    for v in values.iter_mut() {
        *v = (*v - max).exp();
    }
    let mut sum = 0.0;
    for v in values.iter() {
        sum += *v;
    }
    for v in values.iter_mut() {
        *v /= sum;
    }
}

/// Maps input patterns to a probability distribution over categories (htm.core's
/// `Classifier`; see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Classifier {
    alpha: f64,
    /// The size of the patterns, fixed by the first one learned (0 before).
    input_size: usize,
    categories: usize,
    /// `input_size x categories`, one row per input bit.
    weights: Vec<f64>,
}

impl Classifier {
    /// A classifier that has learned nothing, with learning rate `alpha` in (0, 1].
    pub fn new(alpha: f64) -> Result<Self> {
        check_alpha(alpha)?;
        Ok(Classifier {
            alpha,
            input_size: 0,
            categories: 0,
            weights: Vec::new(),
        })
    }

    /// A classifier from its parts (as [`alpha`](Self::alpha), [`input_size`](Self::input_size),
    /// [`categories`](Self::categories) and [`weights`](Self::weights) give them): `input_size`
    /// 0 exactly when `categories` is (nothing learned), weights finite, `input_size x
    /// categories` of them.
    pub fn from_parts(alpha: f64, input_size: usize, categories: usize, weights: Vec<f64>) -> Result<Self> {
        check_alpha(alpha)?;
        if (input_size == 0) != (categories == 0) || input_size > MAX_INPUT_SIZE || categories > MAX_CATEGORIES {
            return Err(EngineError::InvalidValue(format!(
                "a classifier's input size and categories must both be 0 (nothing learned) or \
                 within 1..={MAX_INPUT_SIZE} and 1..={MAX_CATEGORIES}, got {input_size} and {categories}"
            )));
        }
        if weights.len() != shape_size(&[input_size, categories])? {
            return Err(EngineError::ShapeMismatch {
                what: "a classifier's weights".into(),
                expected: vec![input_size * categories],
                found: vec![weights.len()],
            });
        }
        if let Some(bad) = weights.iter().find(|w| !w.is_finite()) {
            return Err(EngineError::InvalidValue(format!(
                "a classifier's weights must be finite, got {bad}"
            )));
        }
        Ok(Classifier {
            alpha,
            input_size,
            categories,
            weights,
        })
    }

    /// The learning rate.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// The size of the patterns, fixed by the first one learned (0 before).
    pub fn input_size(&self) -> usize {
        self.input_size
    }

    /// How many categories it distinguishes: one more than the largest learned (0 before).
    pub fn categories(&self) -> usize {
        self.categories
    }

    /// The weights, `input_size x categories`, one row per input bit.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// Checks a pattern, and that it has the size of those learned (when there were some).
    fn check_input(&self, active: &[u32], size: usize) -> Result<()> {
        check_input(self.input_size, active, size)
    }

    /// The probability of each category for the pattern whose bits `active` (ascending,
    /// distinct) of `size` are on; empty before anything is learned.
    pub fn infer(&self, active: &[u32], size: usize) -> Result<Vec<f64>> {
        self.check_input(active, size)?;
        Ok(self.distribution(active))
    }

    /// [`infer`](Self::infer) of a checked pattern.
    fn distribution(&self, active: &[u32]) -> Vec<f64> {
        let c = self.categories;
        let mut votes = vec![0.0; c];
        for &bit in active {
            let row = &self.weights[bit as usize * c..(bit as usize + 1) * c];
            for (v, w) in votes.iter_mut().zip(row) {
                *v += w;
            }
        }
        softmax(&mut votes);
        votes
    }

    /// The weights grown to `categories` (new ones 0) for patterns of `size` bits, or
    /// `None` when they have as many already; the only step of learning that can fail
    /// after the checks (an allocation), so it runs before anything changes.
    fn grown(&self, size: usize, categories: usize) -> Result<Option<Vec<f64>>> {
        if self.input_size != 0 && categories <= self.categories {
            return Ok(None);
        }
        let categories = categories.max(self.categories);
        let mut weights = zeroed(shape_size(&[size, categories])?, "a classifier's weights")?;
        if self.categories > 0 {
            for (new, old) in weights
                .chunks_exact_mut(categories)
                .zip(self.weights.chunks_exact(self.categories))
            {
                new[..self.categories].copy_from_slice(old);
            }
        }
        Ok(Some(weights))
    }

    /// Learns a checked pattern with checked categories, after [`grown`](Self::grown).
    fn apply(&mut self, active: &[u32], size: usize, categories: &[usize], grown: Option<Vec<f64>>) {
        if let Some(weights) = grown {
            self.categories = weights.len() / size;
            self.input_size = size;
            self.weights = weights;
        }
        let mut error = self.distribution(active);
        let share = 1.0 / categories.len() as f64;
        for (i, e) in error.iter_mut().enumerate() {
            let target = if categories.contains(&i) { share } else { 0.0 };
            *e = target - *e;
        }
        let c = self.categories;
        for &bit in active {
            let row = &mut self.weights[bit as usize * c..(bit as usize + 1) * c];
            for (w, e) in row.iter_mut().zip(&error) {
                *w += self.alpha * e;
            }
        }
    }

    /// Learns that the pattern whose bits `active` (ascending, distinct) of `size` are on
    /// means `categories` (at least one, distinct): see the module docs. The first pattern
    /// learned fixes the size.
    pub fn learn(&mut self, active: &[u32], size: usize, categories: &[usize]) -> Result<()> {
        self.check_input(active, size)?;
        let largest = check_categories(categories)?;
        let grown = self.grown(size, largest + 1)?;
        self.apply(active, size, categories, grown);
        Ok(())
    }
}

/// Everything a [`Predictor`] holds, as plain vectors: what [`Predictor::state`] gives and
/// [`Predictor::from_state`] takes.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictorState {
    /// The prediction distances, ascending.
    pub steps: Vec<usize>,
    pub alpha: f64,
    /// The size of the patterns, fixed by the first one learned (0 before).
    pub input_size: usize,
    /// Per step: how many categories its classifier distinguishes (0 before it learned).
    pub categories: Vec<usize>,
    /// Per step: its classifier's weights, `input_size x categories`, one row per input bit.
    pub weights: Vec<Vec<f64>>,
    /// The record numbers of the history, oldest first.
    pub records: Vec<u64>,
    /// The history's patterns as compressed rows: record `i`'s active bits are
    /// `indices[indptr[i]..indptr[i + 1]]`.
    pub indptr: Vec<usize>,
    pub indices: Vec<u32>,
}

/// n-step-ahead prediction with one [`Classifier`] per distance (htm.core's `Predictor`;
/// see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Predictor {
    /// Ascending and distinct, each in 1..=MAX_STEP.
    steps: Vec<usize>,
    alpha: f64,
    /// One per step, in the same order.
    classifiers: Vec<Classifier>,
    /// The size of the patterns, fixed by the first one learned (0 before).
    input_size: usize,
    /// The last `max(steps) + 1` patterns learned (their active bits), oldest first, with
    /// their record numbers (strictly increasing).
    history: VecDeque<(u64, Vec<u32>)>,
}

/// The distributions a [`Predictor::run`] inferred for one step: `categories` columns (the
/// classifier's count at the end of the run) per record, row after row. A row is the
/// distribution as inferred at that record, zeros after it for the categories learned
/// later, or all NaN when the classifier had learned nothing yet.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutput {
    pub categories: usize,
    pub values: Vec<f64>,
}

impl Predictor {
    /// A predictor for the distances `steps` (any order; distinct, each in
    /// 1..=[`MAX_STEP`]) learning at rate `alpha` in (0, 1].
    pub fn new(steps: &[usize], alpha: f64) -> Result<Self> {
        let steps = Self::check_steps(steps)?;
        let classifier = Classifier::new(alpha)?;
        Ok(Predictor {
            classifiers: vec![classifier; steps.len()],
            steps,
            alpha,
            input_size: 0,
            history: VecDeque::new(),
        })
    }

    /// The steps, sorted; an error when they are empty, repeated or out of range.
    fn check_steps(steps: &[usize]) -> Result<Vec<usize>> {
        let bad = |message: String| Err(EngineError::InvalidParameter { name: "steps", message });
        if steps.is_empty() {
            return bad("must name at least one step".into());
        }
        if let Some(n) = steps.iter().find(|&&n| n == 0 || n > MAX_STEP) {
            return bad(format!("every step must be in 1..={MAX_STEP}, got {n}"));
        }
        let mut sorted = steps.to_vec();
        sorted.sort_unstable();
        if let Some(pair) = sorted.windows(2).find(|pair| pair[0] == pair[1]) {
            return bad(format!("must be distinct, got {} twice", pair[0]));
        }
        Ok(sorted)
    }

    /// The prediction distances, ascending.
    pub fn steps(&self) -> &[usize] {
        &self.steps
    }

    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// The size of the patterns, fixed by the first one learned (0 before).
    pub fn input_size(&self) -> usize {
        self.input_size
    }

    /// The classifiers, one per step in the order of [`steps`](Self::steps).
    pub fn classifiers(&self) -> &[Classifier] {
        &self.classifiers
    }

    /// The record number of the last pattern learned since the last reset, if any.
    pub fn last_record(&self) -> Option<u64> {
        self.history.back().map(|(record, _)| *record)
    }

    /// Forgets the history (the next record starts a new sequence, and may have any
    /// number), not the weights.
    pub fn reset(&mut self) {
        self.history.clear();
    }

    /// Checks a pattern, and that it has the size of those learned (when there were some).
    fn check_input(&self, active: &[u32], size: usize) -> Result<()> {
        check_input(self.input_size, active, size)
    }

    fn check_record(&self, record: u64) -> Result<()> {
        match self.last_record() {
            Some(last) if record < last => Err(EngineError::InvalidValue(format!(
                "record numbers must not decrease: got {record} after {last}"
            ))),
            _ => Ok(()),
        }
    }

    /// Every step's distribution for the pattern whose bits `active` (ascending, distinct)
    /// of `size` are on, in the order of [`steps`](Self::steps); a step whose classifier
    /// has learned nothing gives an empty one.
    pub fn infer(&self, active: &[u32], size: usize) -> Result<Vec<Vec<f64>>> {
        self.check_input(active, size)?;
        Ok(self.classifiers.iter().map(|c| c.distribution(active)).collect())
    }

    /// Learns record `record` (not below the last one learned since the last reset): its
    /// pattern, whose bits `active` (ascending, distinct) of `size` are on, joins the
    /// history when the record is new, and every step `n`'s classifier learns that the
    /// pattern of record `record - n`, when the history holds it, means `categories` (at
    /// least one, distinct). The first pattern learned fixes the size.
    pub fn learn(&mut self, record: u64, active: &[u32], size: usize, categories: &[usize]) -> Result<()> {
        self.check_input(active, size)?;
        self.check_record(record)?;
        let largest = check_categories(categories)?;
        self.learn_checked(record, active, size, categories, largest)
    }

    /// [`learn`](Self::learn) after its checks: every allocation comes before any change.
    fn learn_checked(
        &mut self,
        record: u64,
        active: &[u32],
        size: usize,
        categories: &[usize],
        largest: usize,
    ) -> Result<()> {
        let is_new = self.last_record().is_none_or(|last| record > last);
        // Which classifier learns which history entry (the new pattern is never one: n >= 1).
        let mut lessons = Vec::new();
        for (entry, (past, _)) in self.history.iter().enumerate() {
            let Ok(distance) = usize::try_from(record - past) else {
                continue;
            };
            if let Ok(k) = self.steps.binary_search(&distance) {
                lessons.push((k, entry));
            }
        }
        let mut grown = Vec::with_capacity(lessons.len());
        for &(k, _) in &lessons {
            grown.push(self.classifiers[k].grown(size, largest + 1)?);
        }
        let pattern = if is_new { Some(active.to_vec()) } else { None };
        for ((k, entry), grown) in lessons.into_iter().zip(grown) {
            let past = &self.history[entry].1;
            self.classifiers[k].apply(past, size, categories, grown);
        }
        if let Some(pattern) = pattern {
            self.history.push_back((record, pattern));
            let keep = self.steps[self.steps.len() - 1] + 1;
            while self.history.len() > keep {
                self.history.pop_front();
            }
        }
        self.input_size = size;
        Ok(())
    }

    /// A whole recording at once: for each record `i` (numbered `first_record + i`), every
    /// step's distribution for its pattern (`indices[indptr[i]..indptr[i + 1]]`, ascending
    /// and distinct, of `size` bits) is inferred, then, when `learn`, the record is learned
    /// with the category `buckets[i]`. The same as [`infer`](Self::infer) and
    /// [`learn`](Self::learn) record by record, bit for bit; returns one [`RunOutput`] per
    /// step. Every input is checked before the first record; only an allocation failure
    /// can stop a run part way, leaving the records before it learned.
    pub fn run(
        &mut self,
        indptr: &[usize],
        indices: &[u32],
        size: usize,
        buckets: &[usize],
        learn: bool,
        first_record: u64,
    ) -> Result<Vec<RunOutput>> {
        let records = Self::check_rows(indptr, indices, size)?;
        for i in 0..records {
            self.check_input(&indices[indptr[i]..indptr[i + 1]], size)?;
        }
        if learn {
            if buckets.len() != records {
                return Err(EngineError::ShapeMismatch {
                    what: "the buckets of a run".into(),
                    expected: vec![records],
                    found: vec![buckets.len()],
                });
            }
            if records > 0 {
                self.check_record(first_record)?;
                if first_record.checked_add(records as u64 - 1).is_none() {
                    return Err(EngineError::InvalidValue(format!(
                        "{records} records from {first_record} overflow the record numbers"
                    )));
                }
            }
            for &bucket in buckets {
                check_categories(&[bucket])?;
            }
        }
        // Each step's rows, concatenated, and where each ends (a row is as long as the
        // classifier's categories at that record).
        let mut rows: Vec<(Vec<f64>, Vec<usize>)> = vec![(Vec::new(), Vec::with_capacity(records)); self.steps.len()];
        for i in 0..records {
            let active = &indices[indptr[i]..indptr[i + 1]];
            for (classifier, (values, ends)) in self.classifiers.iter().zip(rows.iter_mut()) {
                values.extend(classifier.distribution(active));
                ends.push(values.len());
            }
            if learn {
                self.learn_checked(first_record + i as u64, active, size, &buckets[i..=i], buckets[i])?;
            }
        }
        let mut out = Vec::with_capacity(self.steps.len());
        for (classifier, (values, ends)) in self.classifiers.iter().zip(rows) {
            let c = classifier.categories();
            let mut padded = zeroed(shape_size(&[records, c])?, "the distributions of a run")?;
            let mut start = 0;
            for (row, &end) in padded.chunks_exact_mut(c.max(1)).zip(&ends) {
                if end == start {
                    row.fill(f64::NAN);
                } else {
                    row[..end - start].copy_from_slice(&values[start..end]);
                }
                start = end;
            }
            out.push(RunOutput {
                categories: c,
                values: padded,
            });
        }
        Ok(out)
    }

    /// Checks compressed rows (`indptr` starts at 0, never decreases, ends at
    /// `indices.len()`) and returns how many there are.
    fn check_rows(indptr: &[usize], indices: &[u32], size: usize) -> Result<usize> {
        let ok = indptr.first() == Some(&0)
            && indptr.last() == Some(&indices.len())
            && indptr.windows(2).all(|pair| pair[0] <= pair[1]);
        if !ok {
            return Err(EngineError::InvalidValue(format!(
                "row pointers must start at 0, never decrease and end at {} (the number of \
                 indices), got {} pointers",
                indices.len(),
                indptr.len()
            )));
        }
        check_pattern(&[], size)?;
        Ok(indptr.len() - 1)
    }

    /// Everything the predictor holds, as plain vectors.
    pub fn state(&self) -> PredictorState {
        let mut indptr = Vec::with_capacity(self.history.len() + 1);
        let mut indices = Vec::new();
        indptr.push(0);
        for (_, pattern) in &self.history {
            indices.extend_from_slice(pattern);
            indptr.push(indices.len());
        }
        PredictorState {
            steps: self.steps.clone(),
            alpha: self.alpha,
            input_size: self.input_size,
            categories: self.classifiers.iter().map(Classifier::categories).collect(),
            weights: self.classifiers.iter().map(|c| c.weights().to_vec()).collect(),
            records: self.history.iter().map(|(record, _)| *record).collect(),
            indptr,
            indices,
        }
    }

    /// The predictor a [`state`](Self::state) describes, after checking that it is one a
    /// predictor can be in: steps and alpha as [`new`](Self::new) takes them, a category
    /// count and weights per step ([`Classifier::from_parts`]; a classifier that has
    /// learned has the predictor's input size), at most `max(steps) + 1` patterns in the
    /// history (none before any is learned) with strictly increasing record numbers.
    pub fn from_state(state: PredictorState) -> Result<Self> {
        let PredictorState {
            steps,
            alpha,
            input_size,
            categories,
            weights,
            records,
            indptr,
            indices,
        } = state;
        let mut predictor = Predictor::new(&steps, alpha)?;
        if predictor.steps != steps {
            return Err(EngineError::InvalidParameter {
                name: "steps",
                message: format!("a saved state lists them ascending, got {steps:?}"),
            });
        }
        if categories.len() != steps.len() || weights.len() != steps.len() {
            return Err(EngineError::InvalidValue(format!(
                "a state needs categories and weights for each of its {} steps, got {} and {}",
                steps.len(),
                categories.len(),
                weights.len()
            )));
        }
        if input_size > MAX_INPUT_SIZE {
            return Err(EngineError::InvalidValue(format!(
                "a state's input size must be at most {MAX_INPUT_SIZE}, got {input_size}"
            )));
        }
        for (k, (c, w)) in categories.into_iter().zip(weights).enumerate() {
            let size = if c == 0 { 0 } else { input_size };
            predictor.classifiers[k] = Classifier::from_parts(alpha, size, c, w)?;
        }
        if indptr.len() != records.len() + 1 || records.len() > steps[steps.len() - 1] + 1 {
            return Err(EngineError::InvalidValue(format!(
                "a state's history must hold at most {} patterns, with one more row pointer, got {} \
                 records and {} pointers",
                steps[steps.len() - 1] + 1,
                records.len(),
                indptr.len()
            )));
        }
        if input_size == 0 && !records.is_empty() {
            return Err(EngineError::InvalidValue(
                "a state without an input size cannot hold a history".into(),
            ));
        }
        if let Some(pair) = records.windows(2).find(|pair| pair[0] >= pair[1]) {
            return Err(EngineError::InvalidValue(format!(
                "a state's record numbers must increase, got {} before {}",
                pair[0], pair[1]
            )));
        }
        if !records.is_empty() {
            Self::check_rows(&indptr, &indices, input_size)?;
        }
        for (i, &record) in records.iter().enumerate() {
            let pattern = &indices[indptr[i]..indptr[i + 1]];
            check_pattern(pattern, input_size)?;
            predictor.history.push_back((record, pattern.to_vec()));
        }
        predictor.input_size = input_size;
        Ok(predictor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plain restatement of the softmax for the hand-worked cases.
    fn softmax_of(values: &[f64]) -> Vec<f64> {
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let exps: Vec<f64> = values.iter().map(|v| (v - max).exp()).collect();
        let sum: f64 = exps.iter().sum();
        exps.iter().map(|e| e / sum).collect()
    }

    #[test]
    fn a_classifier_that_learned_nothing_infers_an_empty_distribution() {
        let classifier = Classifier::new(0.1).unwrap();
        assert_eq!(classifier.infer(&[1, 3], 5).unwrap(), Vec::<f64>::new());
        // Its size is not fixed yet: any size is accepted.
        assert_eq!(classifier.infer(&[], 9).unwrap(), Vec::<f64>::new());
    }

    /// One learning step by hand: the distribution before is uniform over the 2
    /// categories (0 and the bucket 1), the error is (-0.5, 0.5), each active bit gains
    /// alpha times it.
    #[test]
    fn one_learning_step_matches_the_hand_worked_one() {
        let mut classifier = Classifier::new(0.5).unwrap();
        classifier.learn(&[0, 2], 3, &[1]).unwrap();
        assert_eq!(classifier.categories(), 2);
        assert_eq!(classifier.weights(), [-0.25, 0.25, 0.0, 0.0, -0.25, 0.25]);
        let pdf = classifier.infer(&[0, 2], 3).unwrap();
        assert_eq!(pdf, softmax_of(&[-0.5, 0.5]));
        assert_eq!(classifier.infer(&[1], 3).unwrap(), [0.5, 0.5]);
        assert!(pdf[1] > pdf[0]);
    }

    /// Several categories share the target: 1/k each.
    #[test]
    fn several_categories_share_the_target() {
        let mut classifier = Classifier::new(1.0).unwrap();
        classifier.learn(&[0], 1, &[0, 3]).unwrap();
        // Uniform 1/4 before; target (1/2, 0, 0, 1/2).
        assert_eq!(classifier.weights(), [0.25, -0.25, -0.25, 0.25]);
    }

    #[test]
    fn a_larger_category_grows_the_weights_keeping_the_old_ones() {
        let mut classifier = Classifier::new(0.5).unwrap();
        classifier.learn(&[1], 2, &[0]).unwrap();
        assert_eq!(classifier.weights(), [0.0, 0.0]);
        classifier.learn(&[0], 2, &[2]).unwrap();
        assert_eq!(classifier.categories(), 3);
        let third = 1.0 / 3.0;
        let (low, high) = (0.5 * (0.0 - third), 0.5 * (1.0 - third));
        assert_eq!(classifier.weights(), [low, low, high, 0.0, 0.0, 0.0]);
        // A smaller category does not shrink anything.
        classifier.learn(&[], 2, &[1]).unwrap();
        assert_eq!(classifier.categories(), 3);
        assert_eq!(classifier.infer(&[], 2).unwrap(), [third, third, third]);
    }

    #[test]
    fn bad_classifier_inputs_are_errors_that_change_nothing() {
        assert!(matches!(
            Classifier::new(0.0),
            Err(EngineError::InvalidParameter { name: "alpha", .. })
        ));
        assert!(Classifier::new(1.5).is_err());
        assert!(Classifier::new(f64::NAN).is_err());
        let mut classifier = Classifier::new(0.1).unwrap();
        classifier.learn(&[1], 4, &[2]).unwrap();
        let before = classifier.clone();
        assert!(matches!(classifier.learn(&[4], 4, &[0]), Err(EngineError::Index(_))));
        assert!(matches!(
            classifier.learn(&[1], 5, &[0]),
            Err(EngineError::ShapeMismatch { .. })
        ));
        assert!(matches!(
            classifier.infer(&[1], 5),
            Err(EngineError::ShapeMismatch { .. })
        ));
        assert!(matches!(
            classifier.learn(&[2, 1], 4, &[0]),
            Err(EngineError::InvalidValue(_))
        ));
        assert!(matches!(
            classifier.learn(&[1, 1], 4, &[0]),
            Err(EngineError::InvalidValue(_))
        ));
        assert!(matches!(
            classifier.learn(&[1], 4, &[]),
            Err(EngineError::InvalidValue(_))
        ));
        assert!(matches!(
            classifier.learn(&[1], 4, &[3, 3]),
            Err(EngineError::InvalidValue(_))
        ));
        let err = classifier.learn(&[1], 4, &[MAX_CATEGORIES]).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("a category must be below {MAX_CATEGORIES}, got {MAX_CATEGORIES}")
        );
        assert!(classifier.learn(&[1], 0, &[0]).is_err());
        assert_eq!(classifier, before);
    }

    #[test]
    fn an_impossible_allocation_is_an_error() {
        let mut classifier = Classifier::new(0.1).unwrap();
        let err = classifier
            .learn(&[0], MAX_INPUT_SIZE, &[MAX_CATEGORIES - 1])
            .unwrap_err();
        assert!(matches!(err, EngineError::Allocation { .. }), "{err}");
        assert_eq!(classifier, Classifier::new(0.1).unwrap());
    }

    #[test]
    fn classifier_parts_round_trip_and_are_checked() {
        let mut classifier = Classifier::new(0.3).unwrap();
        classifier.learn(&[0, 2], 3, &[1]).unwrap();
        let copy = Classifier::from_parts(
            classifier.alpha(),
            classifier.input_size(),
            classifier.categories(),
            classifier.weights().to_vec(),
        )
        .unwrap();
        assert_eq!(copy, classifier);
        assert!(Classifier::from_parts(0.3, 3, 2, vec![0.0; 5]).is_err());
        assert!(Classifier::from_parts(0.3, 3, 0, vec![]).is_err());
        assert!(Classifier::from_parts(0.3, 1, 1, vec![f64::INFINITY]).is_err());
        assert!(Classifier::from_parts(0.3, 0, 0, vec![]).is_ok());
    }

    /// Pattern `k` of 40 bits: 4 bits of its own.
    fn pattern(k: u32) -> Vec<u32> {
        (0..4).map(|i| k * 4 + i).collect()
    }

    fn argmax(pdf: &[f64]) -> usize {
        let mut best = 0;
        for (i, &p) in pdf.iter().enumerate() {
            if p > pdf[best] {
                best = i;
            }
        }
        best
    }

    /// htm.core's own example: four patterns with labels 4..7 learned once, then after a
    /// reset each pattern predicts the labels one and two records later.
    #[test]
    fn a_sequence_learned_once_is_predicted_one_and_two_ahead() {
        let mut predictor = Predictor::new(&[2, 1], DEFAULT_ALPHA).unwrap();
        assert_eq!(predictor.steps(), [1, 2]);
        for k in 0..4 {
            predictor.learn(k as u64, &pattern(k), 40, &[4 + k as usize]).unwrap();
        }
        predictor.reset();
        let a = predictor.infer(&pattern(0), 40).unwrap();
        assert_eq!((argmax(&a[0]), argmax(&a[1])), (5, 6));
        let b = predictor.infer(&pattern(1), 40).unwrap();
        assert_eq!((argmax(&b[0]), argmax(&b[1])), (6, 7));
        // The step-2 classifier never saw label 4 or 5 as a target, but grew to 8 categories.
        assert_eq!(predictor.classifiers()[1].categories(), 8);
    }

    #[test]
    fn before_learning_a_step_infers_nothing_for_it() {
        let mut predictor = Predictor::new(&[1, 3], 0.1).unwrap();
        assert_eq!(predictor.infer(&[0], 40).unwrap(), [vec![], vec![]]);
        predictor.learn(0, &pattern(0), 40, &[1]).unwrap();
        predictor.learn(1, &pattern(1), 40, &[2]).unwrap();
        let pdfs = predictor.infer(&pattern(0), 40).unwrap();
        assert_eq!((pdfs[0].len(), pdfs[1].len()), (3, 0));
        // The size is fixed now.
        assert!(predictor.infer(&[0], 41).is_err());
    }

    /// A gap in the record numbers is missing records: record 0 is 2 before record 2.
    #[test]
    fn record_numbers_measure_the_distance() {
        let mut predictor = Predictor::new(&[1, 2], 0.1).unwrap();
        predictor.learn(0, &pattern(0), 40, &[1]).unwrap();
        predictor.learn(2, &pattern(2), 40, &[5]).unwrap();
        assert_eq!(predictor.classifiers()[0].categories(), 0);
        assert_eq!(predictor.classifiers()[1].categories(), 6);
        // A record learned again keeps its first pattern and teaches the same past ones.
        predictor.learn(2, &pattern(3), 40, &[5]).unwrap();
        assert_eq!(predictor.state().indices, [pattern(0), pattern(2)].concat());
        assert!(predictor.learn(1, &pattern(1), 40, &[0]).is_err());
        // After a reset, numbers start anew.
        predictor.reset();
        assert_eq!(predictor.last_record(), None);
        predictor.learn(0, &pattern(1), 40, &[0]).unwrap();
    }

    #[test]
    fn the_history_keeps_the_largest_step_plus_one() {
        let mut predictor = Predictor::new(&[3, 1], 0.1).unwrap();
        for k in 0..9 {
            predictor.learn(k as u64, &pattern(k), 40, &[0]).unwrap();
        }
        assert_eq!(predictor.state().records, [5, 6, 7, 8]);
    }

    #[test]
    fn reset_forgets_the_history_not_the_weights() {
        let mut predictor = Predictor::new(&[1], 0.1).unwrap();
        predictor.learn(0, &pattern(0), 40, &[1]).unwrap();
        predictor.learn(1, &pattern(1), 40, &[2]).unwrap();
        let weights = predictor.classifiers()[0].weights().to_vec();
        predictor.reset();
        // Nothing precedes record 5 now: nothing is learned.
        predictor.learn(5, &pattern(2), 40, &[3]).unwrap();
        assert_eq!(predictor.classifiers()[0].weights(), weights);
    }

    #[test]
    fn bad_predictor_inputs_are_errors_that_change_nothing() {
        for steps in [&[][..], &[0], &[1, 1], &[MAX_STEP + 1]] {
            assert!(
                matches!(
                    Predictor::new(steps, 0.1),
                    Err(EngineError::InvalidParameter { name: "steps", .. })
                ),
                "{steps:?}"
            );
        }
        assert!(Predictor::new(&[1], -0.1).is_err());
        let mut predictor = Predictor::new(&[1], 0.1).unwrap();
        predictor.learn(3, &pattern(0), 40, &[1]).unwrap();
        let before = predictor.clone();
        assert!(predictor.learn(2, &pattern(1), 40, &[1]).is_err());
        assert!(predictor.learn(4, &pattern(1), 41, &[1]).is_err());
        assert!(predictor.learn(4, &[40], 40, &[1]).is_err());
        assert!(predictor.learn(4, &pattern(1), 40, &[MAX_CATEGORIES]).is_err());
        assert!(predictor.run(&[0, 1], &[40], 40, &[0], true, 4).is_err());
        assert!(predictor.run(&[0, 1], &[3], 40, &[], true, 4).is_err());
        assert!(predictor.run(&[0, 1], &[3], 40, &[1], true, 2).is_err());
        assert!(predictor.run(&[0, 2], &[3], 40, &[1], true, 4).is_err());
        assert!(predictor.run(&[0, 1], &[3], 40, &[1], true, u64::MAX).is_ok());
        predictor = before.clone();
        assert!(predictor.run(&[0, 1, 2], &[3, 4], 40, &[1, 2], true, u64::MAX).is_err());
        assert_eq!(predictor, before);
    }

    /// A run is the same as inferring and learning record by record, with rows padded.
    #[test]
    fn a_run_is_stepping_bit_for_bit() {
        let mut seed = 11u64;
        let draws = crate::test_random::uniform(&mut seed, 600);
        let size = 24;
        let mut patterns = Vec::new();
        let mut buckets = Vec::new();
        for t in 0..40 {
            let row = &draws[t * 15..t * 15 + 14];
            let mut active: Vec<u32> = (0..size as u32).filter(|&i| row[i as usize % 14] < 0.3).collect();
            active.truncate(1 + t % 6);
            patterns.push(active);
            buckets.push((draws[t * 15 + 14] * 7.0) as usize);
        }
        let mut stepped = Predictor::new(&[1, 2, 5], 0.2).unwrap();
        stepped.learn(0, &patterns[0], size, &[buckets[0]]).unwrap();
        let mut batched = stepped.clone();
        let mut rows: Vec<Vec<Vec<f64>>> = vec![Vec::new(); 3];
        for t in 1..40 {
            for (k, pdf) in stepped.infer(&patterns[t], size).unwrap().into_iter().enumerate() {
                rows[k].push(pdf);
            }
            stepped.learn(t as u64, &patterns[t], size, &[buckets[t]]).unwrap();
        }
        let mut indptr = vec![0];
        let mut indices = Vec::new();
        for p in &patterns[1..] {
            indices.extend_from_slice(p);
            indptr.push(indices.len());
        }
        let out = batched.run(&indptr, &indices, size, &buckets[1..], true, 1).unwrap();
        assert_eq!(batched, stepped);
        for (k, output) in out.iter().enumerate() {
            let c = output.categories;
            assert_eq!(c, stepped.classifiers()[k].categories());
            for (row, pdf) in output.values.chunks_exact(c).zip(&rows[k]) {
                if pdf.is_empty() {
                    assert!(row.iter().all(|v| v.is_nan()));
                } else {
                    assert_eq!(&row[..pdf.len()], &pdf[..]);
                    assert!(row[pdf.len()..].iter().all(|&v| v == 0.0));
                }
            }
        }
        assert!(rows[2][0].is_empty() && !rows[2][10].is_empty());
        // Without learning nothing changes.
        let before = batched.clone();
        let again = batched.run(&indptr, &indices, size, &[], false, 0).unwrap();
        assert_eq!(batched, before);
        assert_eq!(again[0].values.len(), 39 * again[0].categories);
    }

    #[test]
    fn an_empty_run_gives_empty_outputs() {
        let mut predictor = Predictor::new(&[1], 0.1).unwrap();
        let out = predictor.run(&[0], &[], 4, &[], true, 0).unwrap();
        assert_eq!(
            out,
            [RunOutput {
                categories: 0,
                values: vec![]
            }]
        );
    }

    #[test]
    fn the_state_round_trips_and_is_checked() {
        let mut predictor = Predictor::new(&[1, 2], 0.25).unwrap();
        for k in 0..5 {
            predictor.learn(k as u64 * 2, &pattern(k), 40, &[k as usize]).unwrap();
        }
        let state = predictor.state();
        let mut copy = Predictor::from_state(state.clone()).unwrap();
        assert_eq!(copy, predictor);
        copy.learn(10, &pattern(7), 40, &[2]).unwrap();
        predictor.learn(10, &pattern(7), 40, &[2]).unwrap();
        assert_eq!(copy, predictor);
        let fresh = Predictor::new(&[3], 0.5).unwrap();
        assert_eq!(Predictor::from_state(fresh.state()).unwrap(), fresh);

        let broken = |change: fn(&mut PredictorState)| {
            let mut bad = state.clone();
            change(&mut bad);
            Predictor::from_state(bad)
        };
        assert!(broken(|s| s.steps = vec![2, 1]).is_err());
        assert!(broken(|s| s.alpha = 2.0).is_err());
        assert!(broken(|s| {
            s.categories.pop();
        })
        .is_err());
        assert!(broken(|s| s.weights[0].push(0.0)).is_err());
        assert!(broken(|s| s.weights[1][0] = f64::NAN).is_err());
        assert!(broken(|s| s.records.reverse()).is_err());
        assert!(broken(|s| s.indices[0] = 40).is_err());
        assert!(broken(|s| s.indices.swap(0, 1)).is_err());
        assert!(broken(|s| s.indptr[1] = 100).is_err());
        assert!(broken(|s| {
            s.records = vec![0, 1, 2, 3];
            s.indptr = vec![0, 0, 0, 0, 0];
        })
        .is_err());
        assert!(broken(|s| {
            s.input_size = 0;
            s.categories = vec![0, 0];
            s.weights = vec![vec![], vec![]];
        })
        .is_err());
    }
}

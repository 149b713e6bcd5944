//! Numenta's anomaly likelihood (`protobrain.anomaly.AnomalyLikelihood` in Python): how
//! unusual the last few raw anomaly scores are for their stream, as NuPIC 1.0's
//! `anomaly_likelihood.py` computes it (see protobrain/anomaly.py's module docs for the
//! algorithm). Every result is bit-identical to the Python implementation it replaces:
//!
//! - the tail probability is `0.5 * erfc(z / 1.4142)` with the C library's `erfc` (what
//!   Python's `math.erfc` calls) and `sqrt` (correctly rounded in both);
//! - the mean and population variance of an estimation are numpy's `ndarray.mean()` and
//!   `ndarray.var()` of a contiguous float64 array: [`numpy_sum`] reproduces numpy's
//!   pairwise summation order exactly, the mean is that sum divided by the count, and the
//!   variance the same sum of `(x - mean)²` divided by the count;
//! - the moving average is a running total (NuPIC's), subtracting the value leaving the
//!   window before adding the new one.
//!
//! Every bad input is an [`EngineError`] and leaves the object unchanged.
use std::collections::VecDeque;

use crate::error::{EngineError, Result};

/// The moving average's window (NuPIC fixes it at 10).
pub const AVERAGING_WINDOW: usize = 10;
const RED: f64 = 1.0 - 0.99999;
const YELLOW: f64 = 1.0 - 0.999;
/// The distribution of a stream with too little history or flat values: (mean, variance).
const FLAT: (f64, f64) = (0.5, 1e6);
/// NuPIC divides by this literal, not by the square root of 2.
#[allow(clippy::approx_constant)] // NuPIC's literal, on purpose
const NUPIC_SQRT_2: f64 = 1.4142;
/// numpy's `PW_BLOCKSIZE`: the largest block summed without recursion.
const PW_BLOCKSIZE: usize = 128;

extern "C" {
    // The C library's complementary error function (C99), which Python's `math.erfc` calls.
    #[link_name = "erfc"]
    fn c_erfc(x: f64) -> f64;
}

/// The C library's `erfc(x)`.
pub fn erfc(x: f64) -> f64 {
    // SAFETY: `erfc` is a pure C99 math function of one double, defined for every input.
    unsafe { c_erfc(x) }
}

/// numpy's pairwise sum of `a` (`pairwise_sum` in numpy/_core/src/umath/loops_utils.h.src):
/// below 8 elements a plain sum from -0.0; up to 128, 8 accumulators over the multiples of
/// 8, combined as `((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))`, then the rest one by
/// one; above, the two halves (the first rounded down to a multiple of 8) summed apart.
pub fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        a.iter().fold(-0.0, |res, &x| res + x)
    } else if n <= PW_BLOCKSIZE {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let whole = n - n % 8;
        for block in a[8..whole].chunks_exact(8) {
            for (acc, &x) in r.iter_mut().zip(block) {
                *acc += x;
            }
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in &a[whole..] {
            res += x;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}

/// `np.add.reduce` of a contiguous float64 array: the pairwise sum added to the identity 0.0.
pub fn numpy_sum(a: &[f64]) -> f64 {
    0.0 + pairwise_sum(a)
}

/// numpy's `a.mean()` and `a.var()` (population variance) of a non-empty contiguous
/// float64 array; NaN for an empty one (numpy warns and gives NaN).
pub fn numpy_mean_var(a: &[f64]) -> (f64, f64) {
    let n = a.len() as f64;
    let mean = numpy_sum(a) / n;
    let squares: Vec<f64> = a
        .iter()
        .map(|&x| {
            let d = x - mean;
            d * d
        })
        .collect();
    (mean, numpy_sum(&squares) / n)
}

/// A normal distribution as the likelihood fits it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Normal {
    mean: f64,
    variance: f64,
    sd: f64,
}

impl Normal {
    fn new(mean: f64, variance: f64) -> Self {
        let sd = if variance > 0.0 { variance.sqrt() } else { 0.0 };
        Normal { mean, variance, sd }
    }

    /// The tail probability of `x`, reflected above the mean (NuPIC's `tailProbability`).
    fn tail(&self, x: f64) -> f64 {
        let x = if x < self.mean { 2.0 * self.mean - x } else { x };
        let z = (x - self.mean) / self.sd;
        0.5 * erfc(z / NUPIC_SQRT_2)
    }
}

/// Python's `max(x, floor)`: `x` unless `floor` is greater (so NaN stays NaN).
fn floored(x: f64, floor: f64) -> f64 {
    if floor > x {
        floor
    } else {
        x
    }
}

/// Everything an [`AnomalyLikelihood`] goes on from, as plain values and vectors.
#[derive(Debug, Clone, PartialEq)]
pub struct LikelihoodState {
    pub learning_period: u64,
    pub estimation_samples: u64,
    pub historic_window: u64,
    pub reestimation_period: u64,
    /// Steps seen so far (at least `history_values.len()`).
    pub steps: u64,
    /// The stream values of the last steps (at most `historic_window`), oldest first.
    pub history_values: Vec<f64>,
    /// Their raw scores, in [0, 1].
    pub history_raws: Vec<f64>,
    /// (mean, variance) of the distribution, when estimated.
    pub distribution: Option<(f64, f64)>,
    /// The moving average's window (at most [`AVERAGING_WINDOW`]) and its running total.
    pub window: Vec<f64>,
    pub total: f64,
    /// The last tail probabilities (at most [`AVERAGING_WINDOW`]).
    pub recent: Vec<f64>,
}

/// Numenta's anomaly likelihood of a stream of raw anomaly scores.
#[derive(Debug, Clone, PartialEq)]
pub struct AnomalyLikelihood {
    learning_period: u64,
    estimation_samples: u64,
    historic_window: u64,
    reestimation_period: u64,
    history: VecDeque<(f64, f64)>,
    steps: u64,
    distribution: Option<Normal>,
    window: VecDeque<f64>,
    total: f64,
    recent: VecDeque<f64>,
}

fn invalid(name: &'static str, message: String) -> EngineError {
    EngineError::InvalidParameter { name, message }
}

fn check_raw(raw: f64) -> Result<()> {
    if (0.0..=1.0).contains(&raw) {
        Ok(())
    } else {
        Err(EngineError::InvalidValue(format!(
            "raw_score must be a number in [0, 1], got {raw}"
        )))
    }
}

impl AnomalyLikelihood {
    /// A likelihood with NuPIC's parameters: `historic_window` and `reestimation_period`
    /// at least 1.
    pub fn new(
        learning_period: u64,
        estimation_samples: u64,
        historic_window: u64,
        reestimation_period: u64,
    ) -> Result<Self> {
        if historic_window < 1 {
            return Err(invalid(
                "historic_window",
                format!("must be >= 1, got {historic_window}"),
            ));
        }
        if reestimation_period < 1 {
            return Err(invalid(
                "reestimation_period",
                format!("must be >= 1, got {reestimation_period}"),
            ));
        }
        Ok(AnomalyLikelihood {
            learning_period,
            estimation_samples,
            historic_window,
            reestimation_period,
            history: VecDeque::new(),
            steps: 0,
            distribution: None,
            window: VecDeque::with_capacity(AVERAGING_WINDOW),
            total: 0.0,
            recent: VecDeque::with_capacity(AVERAGING_WINDOW),
        })
    }

    pub fn learning_period(&self) -> u64 {
        self.learning_period
    }

    pub fn estimation_samples(&self) -> u64 {
        self.estimation_samples
    }

    pub fn historic_window(&self) -> u64 {
        self.historic_window
    }

    pub fn reestimation_period(&self) -> u64 {
        self.reestimation_period
    }

    /// Steps seen so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Steps during which the likelihood is 0.5.
    pub fn probation(&self) -> u128 {
        u128::from(self.learning_period) + u128::from(self.estimation_samples)
    }

    /// The likelihood of this step's `raw` score (in [0, 1]; an error otherwise, the
    /// likelihood unchanged); `value` is the stream's input (NaN: unknown).
    pub fn update(&mut self, raw: f64, value: f64) -> Result<f64> {
        check_raw(raw)?;
        Ok(self.step(raw, value))
    }

    /// [`update`](Self::update) for each pair in turn: all scores are checked first, so an
    /// error leaves the likelihood unchanged.
    pub fn update_batch(&mut self, raws: &[f64], values: &[f64]) -> Result<Vec<f64>> {
        if raws.len() != values.len() {
            return Err(EngineError::ShapeMismatch {
                what: "the stream values of the raw scores".to_string(),
                expected: vec![raws.len()],
                found: vec![values.len()],
            });
        }
        if let Some((i, &raw)) = raws.iter().enumerate().find(|(_, r)| !(0.0..=1.0).contains(*r)) {
            return Err(EngineError::InvalidValue(format!(
                "raw_score must be a number in [0, 1], got {raw} (at index {i})"
            )));
        }
        Ok(raws.iter().zip(values).map(|(&r, &v)| self.step(r, v)).collect())
    }

    fn step(&mut self, raw: f64, value: f64) -> f64 {
        let likelihood = if u128::from(self.steps) < self.probation() {
            0.5
        } else {
            let distribution = match self.distribution {
                Some(d) if self.steps % self.reestimation_period != 0 => d,
                _ => self.estimate(),
            };
            let average = self.average(raw);
            let tail = distribution.tail(average);
            let filtered = match self.recent.back() {
                Some(&previous) if tail <= RED && previous <= RED => YELLOW,
                _ => tail,
            };
            if self.recent.len() == AVERAGING_WINDOW {
                self.recent.pop_front();
            }
            self.recent.push_back(tail);
            1.0 - filtered
        };
        if self.history.len() as u64 == self.historic_window {
            self.history.pop_front();
        }
        self.history.push_back((value, raw));
        self.steps += 1;
        likelihood
    }

    /// The moving average with `raw` added (NuPIC's running sum).
    fn average(&mut self, raw: f64) -> f64 {
        if self.window.len() == AVERAGING_WINDOW {
            if let Some(oldest) = self.window.pop_front() {
                self.total -= oldest;
            }
        }
        self.window.push_back(raw);
        self.total += raw;
        self.total / self.window.len() as f64
    }

    /// Fits the distribution to the history (see the module docs) and returns it.
    fn estimate(&mut self) -> Normal {
        let steps = self.steps;
        let skip = steps.min(
            self.learning_period
                .saturating_sub(steps.saturating_sub(self.historic_window)),
        );
        let skip = usize::try_from(skip).unwrap_or(usize::MAX).min(self.history.len());
        self.window.clear();
        self.total = 0.0;
        let raws: Vec<f64> = self.history.iter().map(|&(_, raw)| raw).collect();
        let averages: Vec<f64> = raws.iter().map(|&raw| self.average(raw)).collect();
        let (mut mean, mut variance) = if averages.len() <= skip {
            FLAT
        } else {
            let (mean, variance) = numpy_mean_var(&averages[skip..]);
            (floored(mean, 0.03), floored(variance, 0.0003))
        };
        let values: Vec<f64> = self.history.iter().skip(skip).map(|&(value, _)| value).collect();
        if !values.is_empty() && !self.history.iter().any(|(value, _)| value.is_nan()) {
            let (_, spread) = numpy_mean_var(&values);
            if spread < 1.5e-5 {
                (mean, variance) = FLAT;
            }
        }
        let distribution = Normal::new(mean, variance);
        self.distribution = Some(distribution);
        let start = averages.len().saturating_sub(AVERAGING_WINDOW);
        self.recent = averages[start..].iter().map(|&a| distribution.tail(a)).collect();
        distribution
    }

    /// Everything the likelihood goes on from.
    pub fn state(&self) -> LikelihoodState {
        LikelihoodState {
            learning_period: self.learning_period,
            estimation_samples: self.estimation_samples,
            historic_window: self.historic_window,
            reestimation_period: self.reestimation_period,
            steps: self.steps,
            history_values: self.history.iter().map(|&(v, _)| v).collect(),
            history_raws: self.history.iter().map(|&(_, r)| r).collect(),
            distribution: self.distribution.map(|d| (d.mean, d.variance)),
            window: self.window.iter().copied().collect(),
            total: self.total,
            recent: self.recent.iter().copied().collect(),
        }
    }

    /// The likelihood `state` describes; an error naming what does not fit.
    pub fn from_state(state: LikelihoodState) -> Result<Self> {
        let mut likelihood = Self::new(
            state.learning_period,
            state.estimation_samples,
            state.historic_window,
            state.reestimation_period,
        )?;
        let length = state.history_raws.len();
        if state.history_values.len() != length {
            return Err(EngineError::ShapeMismatch {
                what: "the likelihood's history values".to_string(),
                expected: vec![length],
                found: vec![state.history_values.len()],
            });
        }
        if length as u64 > state.historic_window {
            return Err(invalid(
                "history",
                format!(
                    "holds {length} steps, more than the historic window {}",
                    state.historic_window
                ),
            ));
        }
        if state.steps < length as u64 {
            return Err(invalid(
                "steps",
                format!("must be at least the history's {length} steps, got {}", state.steps),
            ));
        }
        if state.window.len() > AVERAGING_WINDOW || state.recent.len() > AVERAGING_WINDOW {
            return Err(invalid(
                "window",
                "the likelihood's windows are longer than its averaging window".to_string(),
            ));
        }
        if let Some(raw) = state.history_raws.iter().find(|r| !(0.0..=1.0).contains(*r)) {
            return Err(EngineError::InvalidValue(format!(
                "the likelihood's history holds a score outside [0, 1]: {raw}"
            )));
        }
        if !state.window.iter().chain(&state.recent).all(|x| x.is_finite()) || !state.total.is_finite() {
            return Err(EngineError::InvalidValue(
                "the likelihood's windows or running sum are not finite".to_string(),
            ));
        }
        if let Some((mean, variance)) = state.distribution {
            if !(mean.is_finite() && variance.is_finite() && variance > 0.0) {
                return Err(EngineError::InvalidValue(format!(
                    "the likelihood's distribution has mean {mean} and variance {variance}"
                )));
            }
            likelihood.distribution = Some(Normal::new(mean, variance));
        }
        likelihood.steps = state.steps;
        likelihood.history = state.history_values.into_iter().zip(state.history_raws).collect();
        likelihood.window = state.window.into();
        likelihood.total = state.total;
        likelihood.recent = state.recent.into();
        Ok(likelihood)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reproducible stream of uniform numbers in [0, 1) (xorshift).
    fn uniform(n: usize, seed: u64) -> Vec<f64> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 11) as f64 / (1u64 << 53) as f64
            })
            .collect()
    }

    #[test]
    fn pairwise_sum_follows_numpys_order() {
        // Below 8: sequential from -0.0 (so -0.0 stays -0.0).
        assert_eq!(pairwise_sum(&[-0.0]).to_bits(), (-0.0f64).to_bits());
        assert_eq!(numpy_sum(&[-0.0]).to_bits(), 0.0f64.to_bits());
        let a = uniform(7, 1);
        assert_eq!(pairwise_sum(&a), a.iter().fold(-0.0, |s, x| s + x));
        // 8 accumulators: 1e16 + 1 + ... loses the ones in one accumulator, not in others.
        let mut b = vec![1.0; 16];
        b[0] = 1e16;
        let r0 = 1e16 + 1.0;
        let expected = ((r0 + 2.0) + (2.0 + 2.0)) + ((2.0 + 2.0) + (2.0 + 2.0));
        assert_eq!(pairwise_sum(&b), expected);
        // Above 128: two halves, the first a multiple of 8.
        let c = uniform(300, 2);
        assert_eq!(pairwise_sum(&c), pairwise_sum(&c[..144]) + pairwise_sum(&c[144..]));
        let d = uniform(129, 3);
        assert_eq!(pairwise_sum(&d), pairwise_sum(&d[..64]) + pairwise_sum(&d[64..]));
    }

    #[test]
    fn mean_and_variance_are_numpys_formulas() {
        let a = uniform(1000, 4);
        let (mean, var) = numpy_mean_var(&a);
        assert_eq!(mean, numpy_sum(&a) / 1000.0);
        let squares: Vec<f64> = a.iter().map(|x| (x - mean) * (x - mean)).collect();
        assert_eq!(var, numpy_sum(&squares) / 1000.0);
        let (m, v) = numpy_mean_var(&[]);
        assert!(m.is_nan() && v.is_nan());
    }

    #[test]
    fn erfc_is_the_c_librarys() {
        assert_eq!(erfc(0.0), 1.0);
        assert!((erfc(1.0) - 0.157_299_207_050_285_13).abs() < 1e-16);
        assert_eq!(erfc(f64::INFINITY), 0.0);
        assert!(erfc(f64::NAN).is_nan());
    }

    #[test]
    fn probation_is_one_half_then_likelihoods_follow() {
        let mut l = AnomalyLikelihood::new(3, 2, 20, 4).unwrap();
        let raws = uniform(60, 5);
        let values: Vec<f64> = uniform(60, 6).iter().map(|x| x * 10.0).collect();
        let out = l.update_batch(&raws, &values).unwrap();
        assert!(out[..5].iter().all(|&x| x == 0.5));
        assert!(out[5..].iter().all(|&x| (0.0..=1.0).contains(&x)));
        assert_eq!(l.steps(), 60);
        assert_eq!(l.state().history_raws.len(), 20);
        // One at a time is the same.
        let mut m = AnomalyLikelihood::new(3, 2, 20, 4).unwrap();
        let one: Vec<f64> = raws
            .iter()
            .zip(&values)
            .map(|(&r, &v)| m.update(r, v).unwrap())
            .collect();
        assert_eq!(one, out);
        assert_eq!(m, l);
    }

    #[test]
    fn state_round_trips() {
        let mut l = AnomalyLikelihood::new(2, 3, 15, 5).unwrap();
        l.update_batch(&uniform(40, 7), &uniform(40, 8)).unwrap();
        let mut copy = AnomalyLikelihood::from_state(l.state()).unwrap();
        assert_eq!(copy, l);
        let more = uniform(30, 9);
        let nan = vec![f64::NAN; 30];
        assert_eq!(
            copy.update_batch(&more, &nan).unwrap(),
            l.update_batch(&more, &nan).unwrap()
        );
    }

    #[test]
    fn bad_inputs_are_errors_that_change_nothing() {
        assert!(AnomalyLikelihood::new(0, 0, 0, 1).is_err());
        assert!(AnomalyLikelihood::new(0, 0, 1, 0).is_err());
        let mut l = AnomalyLikelihood::new(0, 0, 5, 1).unwrap();
        let before = l.clone();
        assert!(l.update(f64::NAN, 0.0).is_err());
        assert!(l.update(1.5, 0.0).is_err());
        assert!(l.update(-0.1, 0.0).is_err());
        assert!(l.update_batch(&[0.1, 2.0], &[0.0, 0.0]).is_err());
        assert!(l.update_batch(&[0.1], &[0.0, 0.0]).is_err());
        assert_eq!(l, before);
        let mut state = l.state();
        state.distribution = Some((0.5, 0.0));
        assert!(AnomalyLikelihood::from_state(state.clone()).is_err());
        state.distribution = None;
        state.steps = 1;
        state.history_raws = vec![0.5, 0.5];
        state.history_values = vec![0.0, 0.0];
        assert!(AnomalyLikelihood::from_state(state.clone()).is_err());
        state.steps = 2;
        state.history_raws = vec![0.5, f64::NAN];
        assert!(AnomalyLikelihood::from_state(state).is_err());
    }
}

//! The built-in computations: activation, threshold and k-winners
//! (docs/specification.md §3).
use crate::activity::{read, write, SharedActivity};
use crate::connection::Connection;
use crate::error::{EngineError, Result};
use crate::homeostasis::{self, Boost, SharedDutyCycles};
use crate::kernels;

/// A built-in computation: which units fire given their activation ([`Rule`]), and how a
/// synapse counts in the activation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Computation {
    rule: Rule,
    /// When set, a synapse contributes 1 to the activation (times its input's value) when
    /// its weight is at least this, and 0 otherwise: HTM's overlap of connected synapses.
    /// Unset, it contributes its weight.
    connected: Option<f64>,
    /// k-winners only: boost units by their duty cycles before picking (see
    /// the [`homeostasis`] module).
    boost: Option<Boost>,
}

/// Which units fire.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rule {
    /// A unit fires when its activation is strictly above the threshold.
    Threshold(f64),
    /// The `k` units with the highest activation fire; ties go to the lower index.
    KWinners(Winners),
}

/// How many units k-winners lets fire.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Winners {
    /// Exactly this many units (must not exceed the group).
    Count(usize),
    /// `ceil(fraction * units)` units.
    Fraction(f64),
}

impl Computation {
    /// `StandardComputation(threshold)`: the threshold must be a non-negative number.
    pub fn threshold(threshold: f64) -> Result<Self> {
        if threshold.is_nan() || threshold < 0.0 {
            return Err(EngineError::InvalidParameter {
                name: "threshold",
                message: format!("must be a non-negative number, got {threshold}"),
            });
        }
        Ok(Computation::of(Rule::Threshold(threshold)))
    }

    fn of(rule: Rule) -> Self {
        Computation {
            rule,
            connected: None,
            boost: None,
        }
    }

    /// The same computation counting only connected synapses: a weight of at least
    /// `connected` (in [0, 1]) counts as 1, any other as 0.
    pub fn with_connected(self, connected: f64) -> Result<Self> {
        if !(0.0..=1.0).contains(&connected) {
            return Err(EngineError::InvalidParameter {
                name: "connected",
                message: format!("must be in [0, 1], got {connected}"),
            });
        }
        Ok(Computation {
            connected: Some(connected),
            ..self
        })
    }

    /// The same k-winners computation boosting units by their duty cycles; an error for a
    /// threshold computation.
    pub fn with_boost(self, boost: Boost) -> Result<Self> {
        if let Rule::Threshold(_) = self.rule {
            return Err(EngineError::InvalidParameter {
                name: "boost_strength",
                message: "only k-winners (SparseComputation) boosts".into(),
            });
        }
        Ok(Computation {
            boost: Some(boost),
            ..self
        })
    }

    /// The boost, when units are boosted by their duty cycles.
    pub fn boost(&self) -> Option<Boost> {
        self.boost
    }

    /// Which units fire.
    pub fn rule(&self) -> Rule {
        self.rule
    }

    /// The connection threshold, when only connected synapses count.
    pub fn connected(&self) -> Option<f64> {
        self.connected
    }

    /// `SparseComputation(n)` with an int `n`: exactly `n` winners, `n >= 1`.
    pub fn k_winners(count: i64) -> Result<Self> {
        if count <= 0 {
            return Err(EngineError::InvalidParameter {
                name: "n",
                message: format!("must be positive, got {count}"),
            });
        }
        Ok(Computation::of(Rule::KWinners(Winners::Count(count as usize))))
    }

    /// `SparseComputation(n)` with a float `n`: a fraction of the group, `0 < n <= 1`.
    pub fn k_fraction(fraction: f64) -> Result<Self> {
        if fraction.is_nan() || fraction <= 0.0 || fraction > 1.0 {
            return Err(EngineError::InvalidParameter {
                name: "n",
                message: format!("a float n is a fraction of the group and must be in (0, 1], got {fraction}"),
            });
        }
        Ok(Computation::of(Rule::KWinners(Winners::Fraction(fraction))))
    }

    /// The number of winners in a group of `units` units, for k-winners.
    pub fn winners(&self, units: usize) -> Result<usize> {
        match self.rule {
            Rule::KWinners(Winners::Count(k)) if k > units => Err(EngineError::InvalidParameter {
                name: "n",
                message: format!("n = {k} winners is more than the group's {units} units"),
            }),
            Rule::KWinners(Winners::Count(k)) => Ok(k),
            Rule::KWinners(Winners::Fraction(f)) => Ok(((f * units as f64).ceil() as usize).min(units)),
            Rule::Threshold(_) => Ok(units),
        }
    }

    /// Computes the new activity of a group of `out.len()` units from its connections,
    /// writing 0/1 values into `out`. `scratch` holds the activation.
    pub fn compute(&self, inputs: &[&Connection], scratch: &mut Vec<f64>, out: &mut [f64]) -> Result<()> {
        let mut buffers = Buffers {
            act: std::mem::take(scratch),
            ..Buffers::default()
        };
        let result = self.fire(inputs.iter().copied(), out.len(), None, &mut buffers);
        *scratch = std::mem::take(&mut buffers.act);
        result?;
        out.fill(0.0);
        for &j in &buffers.ones {
            out[j] = 1.0;
        }
        Ok(())
    }

    /// Computes a group's new activity and stores it in its output buffer; `duty` holds
    /// the group's duty cycles, which a boosting computation needs.
    pub fn compute_into(
        &self,
        inputs: &[&Connection],
        output: &SharedActivity,
        duty: Option<&SharedDutyCycles>,
    ) -> Result<()> {
        let size = read(output).size();
        let mut buffers = Buffers::default();
        let duty = duty.map(homeostasis::read);
        self.fire(
            inputs.iter().copied(),
            size,
            duty.as_deref().map(|d| d.values()),
            &mut buffers,
        )?;
        write(output).set_ones(buffers.ones.iter().copied())
    }

    /// Computes which of the `post` units of a group fed by `inputs` fire: afterwards
    /// `buffers.ones` holds them, ascending (every other unit is silent). `duty`, the
    /// group's duty cycles, is read when the computation boosts (and must then be given).
    pub fn fire<'a>(
        &self,
        inputs: impl IntoIterator<Item = &'a Connection>,
        post: usize,
        duty: Option<&[f64]>,
        buffers: &mut Buffers,
    ) -> Result<()> {
        activation_into(inputs, post, self.connected, &mut buffers.act, &mut buffers.active)?;
        buffers.ones.clear();
        match self.rule {
            Rule::Threshold(t) => {
                for (j, &a) in buffers.act.iter().enumerate() {
                    if a > t {
                        buffers.ones.push(j);
                    }
                }
            }
            Rule::KWinners(_) => {
                let k = self.winners(post)?;
                if let Some(boost) = self.boost {
                    let duty = duty
                        .filter(|d| d.len() == post)
                        .ok_or_else(|| EngineError::InvalidParameter {
                            name: "boost_strength",
                            message: format!("boosting needs the duty cycles of the group's {post} units"),
                        })?;
                    boost.apply(k as f64 / post as f64, duty, &mut buffers.act);
                }
                k_winners_into(&buffers.act, k, &mut buffers.winners, &mut buffers.ones);
            }
        }
        Ok(())
    }
}

/// The per-step buffers of a computation and learning, kept between steps so a step allocates nothing.
#[derive(Debug, Clone, Default)]
pub struct Buffers {
    /// The activation of every unit, after [`Computation::fire`].
    pub act: Vec<f64>,
    /// The units that fire, ascending, after [`Computation::fire`].
    pub ones: Vec<usize>,
    /// One connection's active inputs and their values.
    active: Vec<(usize, f64)>,
    /// k-winners' scratch.
    winners: WinnersScratch,
    /// Learning: the active units of the group and of one input.
    pub(crate) post_ones: Vec<usize>,
    pub(crate) pre_ones: Vec<usize>,
}

/// The activation of every post unit (docs/specification.md §3): for every input in order,
/// then every pre unit `i` with a non-zero value in ascending order, add `v[i] * W[i, j]`.
/// Only the rows of active inputs are read. This order is what makes results
/// bit-identical to the reference whatever the thread count. `active` is a buffer for
/// one input's active units.
fn activation_into<'a>(
    inputs: impl IntoIterator<Item = &'a Connection>,
    post: usize,
    connected: Option<f64>,
    act: &mut Vec<f64>,
    active: &mut Vec<(usize, f64)>,
) -> Result<()> {
    act.clear();
    act.try_reserve_exact(post).map_err(|_| EngineError::Allocation {
        what: "an activation buffer".into(),
        bytes: post.checked_mul(8),
    })?;
    act.resize(post, 0.0);
    for conn in inputs {
        if conn.post_size() != post {
            return Err(EngineError::ShapeMismatch {
                what: "input feeding the group".into(),
                expected: vec![post],
                found: conn.post_shape().to_vec(),
            });
        }
        active.clear();
        conn.source().for_each_nonzero(|i, v| active.push((i, v)));
        conn.weights_mut().accumulate(active, connected, act);
    }
    Ok(())
}

/// The indices of the `k` highest activations, ties to the lower index, in ascending order.
/// NaN (only possible with NaN weights) ranks lowest. Linear time.
pub fn k_winners(act: &[f64], k: usize) -> Vec<usize> {
    let mut winners = Vec::new();
    k_winners_into(act, k, &mut Default::default(), &mut winners);
    winners
}

/// Up to this many values scanned in all (winners x units), k-winners scans k times for
/// the largest value left: a few vector instructions a value, no branch on data.
const REPEATED_MAX_WORK: usize = 1024;

/// The buffers k-winners reuses between steps.
#[derive(Debug, Clone, Default)]
struct WinnersScratch {
    /// The activations left to pick from (repeated max scans).
    left: Vec<f64>,
    /// Sort keys, and the few block maxima or candidates picked out.
    keys: Vec<u64>,
    picked: Vec<u64>,
}

/// [`k_winners`] into `out` (cleared first); `scratch` holds buffers it reuses.
fn k_winners_into(act: &[f64], k: usize, scratch: &mut WinnersScratch, out: &mut Vec<usize>) {
    let WinnersScratch { left, keys, picked } = scratch;
    out.clear();
    let k = k.min(act.len());
    if k == 0 {
        return;
    }
    if k == act.len() {
        out.extend(0..k);
        return;
    }
    if k.saturating_mul(act.len()) <= REPEATED_MAX_WORK {
        // k scans for the largest value left, the first of equals (NaN as -inf; -0.0 and
        // 0.0 equal). Each winner is then struck out as NaN, which no scan picks.
        left.clear();
        left.extend(act.iter().map(|&a| if a.is_nan() { f64::NEG_INFINITY } else { a }));
        for _ in 0..k {
            let j = kernels::first_max(left);
            out.push(j);
            left[j] = f64::NAN;
        }
        out.sort_unstable();
        return;
    }
    if k <= act.len() / 16 {
        // Few of many win. Each block of 16 units has a largest activation (NaN as -inf);
        // with k blocks or more, the k-th largest of those bounds the k-th largest of all
        // from below (k values are at least it), so only units at or above the bound can
        // win: a few times k candidates, found by one compare per unit.
        picked.clear();
        picked.extend(act.chunks_exact(16).map(|block| {
            let top = block.iter().fold(f64::NEG_INFINITY, |m, &a| if a > m { a } else { m });
            !ordered(top)
        }));
        let bound = f64_of(*picked.select_nth_unstable(k - 1).1);
        // (At a bound of -inf, NaN units, which rank as -inf, may win too: all are candidates.)
        if bound > f64::NEG_INFINITY {
            kernels::for_each_at_least(act, bound, |j| out.push(j));
            return keep_best(act, k, out, picked);
        }
    }
    // Otherwise every unit is a candidate.
    out.extend(0..act.len());
    keep_best(act, k, out, keys);
}

/// Keeps, of the candidate units in `out` (ascending, every winner among them), the `k`
/// with the highest activation, ties to the lower index. With one integer key per unit,
/// smallest first for the highest activation, the k-th smallest key is the last winner's;
/// every unit with a smaller key wins, and of the units tied with it the lowest indices.
fn keep_best(act: &[f64], k: usize, out: &mut Vec<usize>, keys: &mut Vec<u64>) {
    keys.clear();
    keys.extend(out.iter().map(|&j| !ordered(act[j])));
    let (left, &mut last, _) = keys.select_nth_unstable(k - 1);
    // Every key below the k-th is on its left.
    let better = left.iter().filter(|&&key| key < last).count();
    let mut ties = k - better;
    out.retain(|&j| {
        let key = !ordered(act[j]);
        let wins = key < last || (key == last && ties > 0);
        ties -= (wins && key == last) as usize;
        wins
    });
}

/// The activation whose key (`!ordered(a)`) is `key`: the inverse of [`ordered`] for the
/// values it yields (-0.0 comes back as 0.0, NaN as -inf).
fn f64_of(key: u64) -> f64 {
    let bits = !key;
    f64::from_bits(if bits >> 63 == 1 { bits & !(1 << 63) } else { !bits })
}

/// Maps an activation to an integer with the same order (-0.0 and 0.0 equal, NaN lowest).
fn ordered(a: f64) -> u64 {
    let a = if a.is_nan() { f64::NEG_INFINITY } else { a + 0.0 };
    let bits = a.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::Activity;
    use crate::test_support::connection;

    /// With `connected`, a synapse counts 1 times its input's value when its weight is at
    /// least the threshold and 0 otherwise; the rule then picks from that activation.
    #[test]
    fn connected_synapses_count_one_each() {
        let weights = vec![
            0.5, 0.49, 0.9, 0.0, //
            0.1, 0.5, 0.6, 1.0, //
            0.7, 0.2, 0.5, 0.3,
        ];
        let c = connection(&[1.0, 0.0, 2.5], weights, 4);
        let mut buffers = Buffers::default();
        let counting = Computation::threshold(0.0).unwrap().with_connected(0.5).unwrap();
        counting.fire([&c], 4, None, &mut buffers).unwrap();
        // Inputs 0 (1.0) and 2 (2.5) are active; input 1 is silent.
        assert_eq!(buffers.act, [1.0 + 2.5, 0.0, 1.0 + 2.5, 0.0]);
        assert_eq!(buffers.ones, [0, 2]);
        let one = Computation::k_winners(1).unwrap().with_connected(0.9).unwrap();
        one.fire([&c], 4, None, &mut buffers).unwrap();
        assert_eq!(
            (buffers.act.as_slice(), buffers.ones.as_slice()),
            (&[0.0, 0.0, 1.0, 0.0][..], &[2][..])
        );
        assert_eq!(one.connected(), Some(0.9));
        assert_eq!(one.rule(), Rule::KWinners(Winners::Count(1)));
        for bad in [-0.1, 1.5, f64::NAN] {
            let err = Computation::threshold(0.0).unwrap().with_connected(bad).unwrap_err();
            assert!(err.to_string().contains("connected"), "{err}");
        }
        assert!(Computation::threshold(0.0).unwrap().with_connected(0.0).is_ok());
        assert!(Computation::threshold(0.0).unwrap().with_connected(1.0).is_ok());
    }

    /// Boosting multiplies each activation by exp((k / n - duty) * strength) before the
    /// k winners are picked, and needs one duty cycle per unit.
    #[test]
    fn boosting_picks_from_the_boosted_activations() {
        let c = connection(&[1.0], vec![1.0, 0.9, 0.8, 0.7], 4);
        let boost = Boost::new(3.0, 10).unwrap();
        let k1 = Computation::k_winners(1).unwrap();
        let boosted = k1.with_boost(boost).unwrap();
        assert_eq!((boosted.boost(), k1.boost()), (Some(boost), None));
        let mut buffers = Buffers::default();
        // Unit 0 has fired a lot, unit 3 never: the target is 1/4.
        let duty = [1.0, 0.25, 0.25, 0.0];
        boosted.fire([&c], 4, Some(&duty), &mut buffers).unwrap();
        let want: Vec<f64> = [1.0, 0.9, 0.8, 0.7]
            .iter()
            .zip(duty)
            .map(|(a, d)| a * ((0.25 - d) * 3.0f64).exp())
            .collect();
        assert_eq!(buffers.act, want);
        assert_eq!(buffers.ones, [3]);
        k1.fire([&c], 4, Some(&duty), &mut buffers).unwrap();
        assert_eq!(buffers.ones, [0], "without a boost the duty cycles are not read");
        for wrong in [None, Some(&duty[..3])] {
            let err = boosted.fire([&c], 4, wrong, &mut buffers).unwrap_err();
            assert!(err.to_string().contains("duty cycles of the group's 4 units"), "{err}");
        }
        assert!(Computation::threshold(1.0).unwrap().with_boost(boost).is_err());
    }

    #[test]
    fn a_fraction_gives_the_ceiling_of_its_share_of_the_units() {
        let cases = [
            (0.25, 8, 2),
            (0.3, 10, 3),
            (0.05, 100, 5),
            (0.05, 50, 3),
            (0.01, 7, 1),
            (1.0, 9, 9),
        ];
        for (f, units, k) in cases {
            assert_eq!(
                Computation::k_fraction(f).unwrap().winners(units).unwrap(),
                k,
                "{f} of {units}"
            );
        }
    }

    /// A fraction is in (0, 1]: 1 is the whole group, just above it is refused.
    #[test]
    fn a_fraction_of_one_is_the_whole_group() {
        assert!(Computation::k_fraction(1.0).is_ok());
        assert!(Computation::k_fraction(1.0 + f64::EPSILON).is_err());
        assert!(Computation::k_fraction(0.0).is_err());
    }

    /// `ordered` keeps the order of activations, and `f64_of` gives back the activation of
    /// a key, bit for bit: k-winners' bound for candidates is such a value, and a bound
    /// above the true one would drop winners.
    #[test]
    fn keys_keep_the_order_and_give_the_activation_back() {
        let values = [
            f64::NEG_INFINITY,
            -1e300,
            -2.5,
            -1.0,
            -f64::MIN_POSITIVE,
            -5e-324,
            -0.0,
            0.0,
            5e-324,
            f64::MIN_POSITIVE,
            0.25,
            1.0,
            1.0 + f64::EPSILON,
            3.75,
            1e300,
            f64::INFINITY,
        ];
        for pair in values.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if a == b {
                assert_eq!(ordered(a), ordered(b), "{a} and {b} are equal");
            } else {
                assert!(ordered(a) < ordered(b), "{a} < {b}");
            }
        }
        for &a in &values {
            let back = f64_of(!ordered(a));
            let want = if a == 0.0 { 0.0 } else { a };
            assert_eq!(back.to_bits(), want.to_bits(), "{a}");
        }
        assert_eq!(ordered(f64::NAN), ordered(f64::NEG_INFINITY));
        assert_eq!(f64_of(!ordered(f64::NAN)), f64::NEG_INFINITY);
    }

    #[test]
    fn spec_threshold_vector() {
        let c = connection(&[1.0, 0.0, 1.0], vec![0.8, 0.4, 0.6, 0.8, 0.5, 0.4], 2);
        let mut out = [0.0; 2];
        Computation::threshold(1.2)
            .unwrap()
            .compute(&[&c], &mut vec![], &mut out)
            .unwrap();
        assert_eq!(out, [1.0, 0.0]);
    }

    #[test]
    fn spec_sparse_vectors() {
        let w = vec![0.8, 0.4, 0.5, 0.4, 0.6, 0.8, 0.9, 0.2, 0.5, 0.4, 0.5, 0.7];
        let c = connection(&[1.0, 0.0, 1.0], w, 4);
        let mut out = [0.0; 4];
        Computation::k_winners(2)
            .unwrap()
            .compute(&[&c], &mut vec![], &mut out)
            .unwrap();
        assert_eq!(out, [1.0, 0.0, 0.0, 1.0]);
        Computation::k_fraction(0.25)
            .unwrap()
            .compute(&[&c], &mut vec![], &mut out)
            .unwrap();
        assert_eq!(out, [1.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn ties_go_to_the_lower_index() {
        assert_eq!(k_winners(&[0.5, 0.7, 0.5, 0.7, 0.5], 3), vec![0, 1, 3]);
        assert_eq!(k_winners(&[0.0; 6], 2), vec![0, 1]);
        assert_eq!(k_winners(&[f64::NAN, 0.0, -1.0], 2), vec![1, 2]);
        assert_eq!(k_winners(&[-0.0, 0.0, -0.0], 2), vec![0, 1]);
        assert_eq!(k_winners(&[-2.0, -1.0, f64::INFINITY, 1e-300], 2), vec![2, 3]);
        // agrees with a full sort, ties to the lower index
        let act: Vec<f64> = (0..200)
            .map(|i| ((i * 37) % 11) as f64 - 0.5 * ((i % 3) as f64))
            .collect();
        for k in 1..40 {
            let mut order: Vec<usize> = (0..act.len()).collect();
            order.sort_by(|&a, &b| act[b].partial_cmp(&act[a]).unwrap().then(a.cmp(&b)));
            let mut expected = order[..k].to_vec();
            expected.sort_unstable();
            assert_eq!(k_winners(&act, k), expected, "k = {k}");
        }
    }

    /// The full-sort definition: sort by activation, highest first (NaN lowest, as -inf;
    /// -0.0 equal to 0.0), ties to the lower index; take the first `k`, ascending.
    fn by_sorting(act: &[f64], k: usize) -> Vec<usize> {
        let key = |a: f64| if a.is_nan() { f64::NEG_INFINITY } else { a };
        let mut order: Vec<usize> = (0..act.len()).collect();
        order.sort_by(|&a, &b| key(act[b]).partial_cmp(&key(act[a])).unwrap().then(a.cmp(&b)));
        let mut winners = order[..k.min(act.len())].to_vec();
        winners.sort_unstable();
        winners
    }

    #[test]
    fn k_winners_equals_the_sort_definition_on_random_ties() {
        let mut seed = 5u64;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((seed >> 33) % n) as usize
        };
        let palette = [
            0.0,
            -0.0,
            1.0,
            2.0,
            0.5,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e-300,
        ];
        let (mut keys, mut out) = (Default::default(), Vec::new());
        for round in 0..3000 {
            let n = 1 + next(if round % 10 == 0 { 300 } else { 60 });
            // A few values drawn from the palette make many ties (and NaN, -0.0, infinities
            // among the winners); other rounds add a wide range of values.
            let choices: Vec<f64> = (0..1 + next(4)).map(|_| palette[next(palette.len() as u64)]).collect();
            let wide = round % 3 == 0;
            let act: Vec<f64> = (0..n)
                .map(|_| match next(20) {
                    0..=17 if wide => next(1000) as f64 * 0.01 - 3.0,
                    _ => choices[next(choices.len() as u64)],
                })
                .collect();
            for k in [0, 1, 2, 3, 5, 15, 16, 17, 40, n / 2, n, n + 1] {
                k_winners_into(&act, k, &mut keys, &mut out);
                assert_eq!(out, by_sorting(&act, k), "k = {k}, act = {act:?}");
            }
        }
        // Large groups, where few of many win (the bound from block minima).
        for round in 0..40 {
            let n = 1000 + next(3200);
            let choices: Vec<f64> = (0..1 + next(6)).map(|_| palette[next(palette.len() as u64)]).collect();
            let act: Vec<f64> = (0..n)
                .map(|_| match next(10) {
                    0..=7 if round % 2 == 0 => next(100_000) as f64 * 1e-3,
                    _ => choices[next(choices.len() as u64)],
                })
                .collect();
            let mut act = act;
            if round % 5 == 4 {
                // Mostly NaN and -inf, with few numbers: the bound is -inf, and NaN units
                // (ranked as -inf) win by index like -inf ones.
                for (i, a) in act.iter_mut().enumerate() {
                    *a = match (i % 97, i % 3) {
                        (0, _) => 1.0,
                        (_, 0) => f64::NEG_INFINITY,
                        _ => f64::NAN,
                    };
                }
            }
            for k in [17, 52, n / 16, n / 16 + 1, n / 5] {
                k_winners_into(&act, k, &mut keys, &mut out);
                assert_eq!(out, by_sorting(&act, k), "k = {k}, n = {n}");
            }
        }
    }

    #[test]
    fn the_group_buffers_give_the_same_activity() {
        let w = vec![0.8, 0.4, 0.5, 0.4, 0.6, 0.8, 0.9, 0.2, 0.5, 0.4, 0.5, 0.7];
        let c = connection(&[1.0, 0.0, 0.5], w, 4);
        let mut buffers = Buffers::default();
        for computation in [
            Computation::k_winners(2).unwrap(),
            Computation::k_winners(4).unwrap(),
            Computation::threshold(1.0).unwrap(),
            Computation::threshold(10.0).unwrap(),
        ] {
            let mut out = [0.0; 4];
            computation.compute(&[&c], &mut vec![], &mut out).unwrap();
            computation.fire([&c], 4, None, &mut buffers).unwrap();
            let ones: Vec<usize> = (0..4).filter(|&j| out[j] == 1.0).collect();
            assert_eq!(buffers.ones, ones);
            let output = Activity::zeros(&[4]).unwrap().shared();
            computation.compute_into(&[&c], &output, None).unwrap();
            assert_eq!(read(&output).values(), &out);
            assert_eq!(read(&output).nonzero(), Some(&ones[..]));
        }
        assert!(Computation::k_winners(5)
            .unwrap()
            .fire([&c], 4, None, &mut buffers)
            .is_err());
    }

    #[test]
    fn bad_parameters_are_named() {
        assert!(Computation::threshold(-1.0)
            .unwrap_err()
            .to_string()
            .contains("threshold"));
        assert!(Computation::threshold(f64::NAN).is_err());
        assert!(Computation::k_winners(0).is_err());
        assert!(Computation::k_fraction(1.5).unwrap_err().to_string().contains("1.5"));
        let err = Computation::k_winners(5).unwrap().winners(4).unwrap_err();
        assert!(err.to_string().contains('5'), "{err}");
    }
}

//! The dense inner loop of the engine, compiled twice on x86-64: for the baseline CPU the
//! wheel targets and with AVX2, chosen at run time. Both compute every element with the
//! same IEEE operations (AVX2 lanes round exactly like scalar SSE2; no fused multiply-add),
//! so results are bit-identical whichever runs.
//!
//! [`catch_up`] brings (part of) a row up to date and, in the same pass while the row is in
//! registers, adds it into an activation: one read and one write of each weight per step.
use crate::hebbian_rule::{decrease, update};

/// What a row owes, as slices of the counts ring covering the row's columns (see the
/// `pending` module).
#[derive(Clone, Copy)]
pub(crate) struct Owed<'a> {
    /// An active step's whole-row update: the counts before and after it. A column whose
    /// count went up gains `increase`, every other column loses `decrease`.
    pub update: Option<(&'a [u8], &'a [u8])>,
    /// Silent steps after that: the counts then and now. Each column loses `decrease` once
    /// per count.
    pub decrements: Option<(&'a [u8], &'a [u8])>,
    pub increase: f64,
    pub decrease: f64,
    /// [`halfway_binade`]`(decrease)`, found once for the rate rather than once per row.
    /// Only the AVX2 kernel reads it; the portable one finds halfway steps as it goes.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    pub halfway: u64,
}

impl Owed<'_> {
    pub(crate) const NOTHING: Owed<'static> = Owed {
        update: None,
        decrements: None,
        increase: 0.0,
        decrease: 0.0,
        halfway: 1,
    };
}

/// Applies `owed` to `row` in order (the update, then the decrements), then, when `add` is
/// `Some((v, act))`, does `act[j] += v * row[j]`. Every slice covers the same columns.
/// The row's weights are within [0, 1] or NaN, as every row with owed steps is (the
/// engine logs steps only then), so a decrement's clip need not look at lanes owing none.
#[inline]
pub(crate) fn catch_up(row: &mut [f64], owed: Owed<'_>, add: Option<(f64, &mut [f64])>) {
    if owed.update.is_none() && owed.decrements.is_none() && add.is_none() {
        return; // a current row, only brought up to date: nothing to do
    }
    // The vector kernel's closed form needs finite rates (`0 * inf` is NaN); infinite
    // ones, which `HebbianLearning` accepts, go one weight at a time.
    #[cfg(target_arch = "x86_64")]
    if has_avx2() && owed.increase.is_finite() && owed.decrease.is_finite() {
        // SAFETY: the CPU supports AVX2 (checked at run time).
        return unsafe { avx2::catch_up(row, owed, add) };
    }
    catch_up_portable(row, owed, add)
}

/// Calls `f(i, v)` for every `v = values[i]` that is not 0 (NaN included), ascending.
/// Activity is sparse, so whole vectors of zeros are skipped at once.
#[inline]
pub(crate) fn for_each_nonzero(values: &[f64], f: impl FnMut(usize, f64)) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2 (checked at run time).
        return unsafe { avx2::for_each_nonzero(values, f) };
    }
    nonzero_portable(values, 0, f)
}

/// Calls `f(i)` for every `values[i] >= t` (never for NaN), ascending.
#[inline]
pub(crate) fn for_each_at_least(values: &[f64], t: f64, f: impl FnMut(usize)) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2 (checked at run time).
        return unsafe { avx2::for_each_at_least(values, t, f) };
    }
    at_least_portable(values, 0, t, f)
}

#[inline(always)]
fn at_least_portable(values: &[f64], base: usize, t: f64, mut f: impl FnMut(usize)) {
    for (k, &v) in values.iter().enumerate() {
        if v >= t {
            f(base + k);
        }
    }
}

/// The position of the first largest value, NaN ignored (`values` must hold a number).
#[inline]
pub(crate) fn first_max(values: &[f64]) -> usize {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2 (checked at run time).
        return unsafe { avx2::first_max(values) };
    }
    max_portable(values)
}

fn max_portable(values: &[f64]) -> usize {
    let max = values.iter().fold(f64::NEG_INFINITY, |m, &v| if v > m { v } else { m });
    values.iter().position(|&v| v == max).expect("a value that is a number")
}

/// [`for_each_nonzero`] on `values`, whose first element is at position `base`.
#[inline(always)]
fn nonzero_portable(values: &[f64], base: usize, mut f: impl FnMut(usize, f64)) {
    for (k, &v) in values.iter().enumerate() {
        if v != 0.0 {
            f(base + k, v);
        }
    }
}

/// The same as [`catch_up`], one weight at a time.
fn catch_up_portable(row: &mut [f64], owed: Owed<'_>, add: Option<(f64, &mut [f64])>) {
    let (inc, dec) = (owed.increase, -owed.decrease);
    let (mut act, v) = match add {
        Some((v, act)) => (Some(act), v),
        None => (None, 0.0),
    };
    for (j, w) in row.iter_mut().enumerate() {
        lane(w, j, &owed, inc, dec);
        if let Some(act) = act.as_deref_mut() {
            act[j] += v * *w;
        }
    }
}

/// [`catch_up`] for the synapses of one sparse row (or part of one): weight `data[k]` is
/// that of unit `cols[k]`, and `owed` and `act` cover units `first..` (every `cols[k]` is
/// in `first..first + width`, `width` being the length of `owed`'s slices and of `act`).
///
/// The counts of each weight's unit are gathered next to it first (into `scratch`), so
/// the dense kernel, vectorised, catches the weights up exactly as it does a dense row's
/// lanes; then the weights are added into `act` in order.
#[inline]
pub(crate) fn catch_up_sparse(
    cols: &[u32],
    data: &mut [f64],
    first: usize,
    owed: Owed<'_>,
    add: Option<(f64, &mut [f64])>,
    scratch: &mut SparseScratch,
) {
    if owed.update.is_some() || owed.decrements.is_some() {
        let [a, b, c, d] = &mut scratch.counts;
        let gathered = Owed {
            update: owed
                .update
                .map(|(before, after)| gather(cols, first, before, after, a, b)),
            decrements: owed.decrements.map(|(then, now)| gather(cols, first, then, now, c, d)),
            ..owed
        };
        catch_up(data, gathered, None);
    }
    if let Some((v, act)) = add {
        for (&j, &w) in cols.iter().zip(data.iter()) {
            act[j as usize - first] += v * w;
        }
    }
}

/// Buffers for [`catch_up_sparse`]'s gathered counts, kept between rows.
#[derive(Default)]
pub(crate) struct SparseScratch {
    counts: [Vec<u8>; 4],
}

/// The counts of every weight's unit, side by side with the weights.
#[inline(always)]
fn gather<'a>(
    cols: &[u32],
    first: usize,
    x: &[u8],
    y: &[u8],
    xs: &'a mut Vec<u8>,
    ys: &'a mut Vec<u8>,
) -> (&'a [u8], &'a [u8]) {
    xs.clear();
    ys.clear();
    xs.extend(cols.iter().map(|&j| x[j as usize - first]));
    ys.extend(cols.iter().map(|&j| y[j as usize - first]));
    (xs, ys)
}

/// One weight's catching up (`dec` is the negated decrease).
#[inline(always)]
fn lane(w: &mut f64, j: usize, owed: &Owed<'_>, inc: f64, dec: f64) {
    if let Some((before, after)) = owed.update {
        *w = update(*w, if after[j] != before[j] { inc } else { dec });
    }
    if let Some((then, now)) = owed.decrements {
        let n = now[j].wrapping_sub(then[j]);
        if n != 0 {
            *w = decrease_times(*w, n as u32, owed.decrease);
        }
    }
}

/// `n` repetitions of the one-step rule `decrease(w, -d)`, bit for bit, with `d >= 0`.
///
/// Within one binade `[L, 2L)` the floats are evenly spaced by `u`, so while the exact
/// difference `w - d` stays at or above `L`, every step rounds to `w - D` for the one `D`
/// nearest `d` on that spacing, unless `d` falls exactly halfway between two multiples of
/// `u` (then the rounding depends on the parity of `w`, which [`closed`] detects). `k`
/// steps inside the binade are then `w - k * D`, computed exactly. Steps that cross into
/// the next binade down are taken one at a time.
#[inline]
pub(crate) fn decrease_times(mut w: f64, mut n: u32, d: f64) -> f64 {
    loop {
        if n == 0 || w == 0.0 || w.is_nan() {
            return w; // dead stays dead, NaN stays NaN
        }
        if w * GONE_MARGIN <= n as f64 * d {
            return 0.0;
        }
        if let Some(x) = closed(w, n, d) {
            return x;
        }
        // Not all n inside this binade: as many as surely stay inside, then one step.
        let inside = (w - binade_floor(w) - d) / d;
        if inside >= 1.0 {
            // A cast truncates, which for a positive number is its floor.
            let k = (inside as u32).min(n - 1);
            if let Some(x) = closed(w, k, d) {
                w = x;
                n -= k;
                continue;
            }
        }
        w = decrease(w, -d);
        n -= 1;
    }
}

/// The lowest float of `w`'s binade (`w` with its mantissa cleared).
#[inline(always)]
fn binade_floor(w: f64) -> f64 {
    f64::from_bits(w.to_bits() & EXPONENT_BITS)
}

const EXPONENT_BITS: u64 = 0xfff0_0000_0000_0000;

/// A live weight `w` with `w * GONE_MARGIN <= n * d` (both products rounded) ends at +0
/// after `n` steps. Each step `x -> fl(x - d)` errs by at most `2^-53 x <= 2^-53 w`, so
/// after `n - 1 < 255` steps `x <= w (1 + 2^-45) - (n - 1) d <= d`, and the next step
/// reaches 0 or below, which clips to +0 (or it got there earlier and stayed dead). The
/// margin 2^-40 also covers the rounding of the two products.
const GONE_MARGIN: f64 = 1.0 + 1.0 / (1u64 << 40) as f64;

/// `k >= 1` steps of `decrease(w, -d)` as `w - k * D`, when they provably stay within
/// `w`'s binade and take the same `D` each; `None` otherwise.
///
/// Inside a binade the floats are multiples of one spacing `u`, and `fl(m u - d)` is
/// `m u - D` with `D` the multiple of `u` nearest `d`, the same for every `m`, unless `d`
/// lies halfway between two multiples; then the tie goes to the even result, so `D`
/// depends on the parity of `m`, but every result is even, and from an even `m` every
/// step takes the same `D` again. So two consecutive steps taking the same `D` (the first
/// `D = w - fl(w - d)` and the next) means every step does. Both are exact (Sterbenz).
/// The last of the `k` steps starts from `y = w - (k - 1) D`; `fl(y - d) > L` implies the
/// exact `y - d > L` (rounding is monotonic and `L` is a float), so every step stays
/// inside. There every multiple of `D` involved is a multiple of `u` below `L`, so it and
/// `w - k D` are exact.
#[inline(always)]
fn closed(w: f64, k: u32, d: f64) -> Option<f64> {
    let step = w - (w - d);
    let next = w - step;
    let same = k == 1 || step == next - (next - d);
    let y = w - (k as f64 - 1.0) * step;
    if same && y - d > binade_floor(w) {
        Some(y - step)
    } else {
        None
    }
}

/// The binade, as `w & EXPONENT_BITS` of its floats, in which the rate `d` lies exactly
/// halfway between two multiples of the float spacing; 1, which no binade has, when there
/// is none. `d = m 2^e` with `m` odd is halfway on the spacing `2^(e + 1)`, the spacing of
/// the binade `[2^(e + 53), 2^(e + 54))`: at most one binade, found without trying any.
/// Everywhere else one step of `d` removes the same float from every weight of a binade.
pub(crate) fn halfway_binade(d: f64) -> u64 {
    if d.is_nan() || d <= 0.0 || d.is_infinite() {
        return 1;
    }
    let bits = d.to_bits();
    let (biased, fraction) = ((bits >> 52) as i64, bits & ((1 << 52) - 1));
    let (m, e) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | 1 << 52, biased - 1075)
    };
    let lowest = e + m.trailing_zeros() as i64;
    let binade = lowest + 1076; // the biased exponent of 2^(lowest + 53)
    if (1..2047).contains(&binade) {
        (binade as u64) << 52
    } else {
        1
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{catch_up_portable, Owed, EXPONENT_BITS, GONE_MARGIN};
    use std::arch::x86_64::*;

    /// Four weights at a time; see [`super::catch_up`].
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn catch_up(row: &mut [f64], owed: Owed<'_>, add: Option<(f64, &mut [f64])>) {
        // One loop per kind of debt, so each has no tests of what it does not owe.
        match (owed.update.is_some(), owed.decrements.is_some()) {
            (false, false) => run::<false, false>(row, owed, add),
            (true, false) => run::<true, false>(row, owed, add),
            (false, true) => run::<false, true>(row, owed, add),
            (true, true) => run::<true, true>(row, owed, add),
        }
    }

    /// Calls `hit(i)` for every `i` of the whole blocks of sixteen values from `i = 0`
    /// whose lane `test` sets (one branch per block), ascending, until `hit` says stop.
    /// Returns where the whole blocks end, or `None` when `hit` stopped the scan.
    #[inline(always)]
    unsafe fn scan16(
        values: &[f64],
        test: impl Fn(__m256d) -> __m256d,
        mut hit: impl FnMut(usize) -> bool,
    ) -> Option<usize> {
        let mut i = 0;
        while i + 16 <= values.len() {
            // SAFETY: i + 16 <= values.len().
            let mut mask = unsafe {
                let p = values.as_ptr().add(i);
                let lanes = |k: usize| _mm256_movemask_pd(test(_mm256_loadu_pd(p.add(k))));
                lanes(0) | lanes(4) << 4 | lanes(8) << 8 | lanes(12) << 12
            };
            while mask != 0 {
                if !hit(i + mask.trailing_zeros() as usize) {
                    return None;
                }
                mask &= mask - 1;
            }
            i += 16;
        }
        Some(i)
    }

    /// See [`super::for_each_nonzero`].
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn for_each_nonzero(values: &[f64], mut f: impl FnMut(usize, f64)) {
        let zero = _mm256_setzero_pd();
        let nonzero = |v| _mm256_cmp_pd::<_CMP_NEQ_UQ>(v, zero);
        // SAFETY: AVX2 is enabled here, as in the callee.
        if let Some(i) = unsafe {
            scan16(values, nonzero, |i| {
                f(i, values[i]);
                true
            })
        } {
            super::nonzero_portable(&values[i..], i, f)
        }
    }

    /// See [`super::for_each_at_least`].
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn for_each_at_least(values: &[f64], t: f64, mut f: impl FnMut(usize)) {
        let t4 = _mm256_set1_pd(t);
        let at_least = |v| _mm256_cmp_pd::<_CMP_GE_OQ>(v, t4);
        // SAFETY: AVX2 is enabled here, as in the callee.
        if let Some(i) = unsafe {
            scan16(values, at_least, |i| {
                f(i);
                true
            })
        } {
            super::at_least_portable(&values[i..], i, t, f)
        }
    }

    /// See [`super::first_max`]: four running maxima of four lanes, then a scan for the
    /// first value equal to their maximum.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn first_max(values: &[f64]) -> usize {
        let n = values.len();
        let p = values.as_ptr();
        let mut acc = [_mm256_set1_pd(f64::NEG_INFINITY); 4];
        let mut i = 0;
        while i + 16 <= n {
            for (k, a) in acc.iter_mut().enumerate() {
                // max(v, a) is a when v is NaN: struck-out values are skipped.
                // SAFETY: i + 16 <= n.
                *a = _mm256_max_pd(unsafe { _mm256_loadu_pd(p.add(i + 4 * k)) }, *a);
            }
            i += 16;
        }
        let mut lanes = [0.0; 4];
        let all = _mm256_max_pd(_mm256_max_pd(acc[0], acc[1]), _mm256_max_pd(acc[2], acc[3]));
        // SAFETY: `lanes` holds four f64.
        unsafe { _mm256_storeu_pd(lanes.as_mut_ptr(), all) };
        let max = values[i..]
            .iter()
            .chain(&lanes)
            .fold(f64::NEG_INFINITY, |m, &v| if v > m { v } else { m });
        let target = _mm256_set1_pd(max);
        let mut first = None;
        // SAFETY: AVX2 is enabled here, as in the callee.
        let tail = unsafe {
            scan16(
                values,
                |v| _mm256_cmp_pd::<_CMP_EQ_OQ>(v, target),
                |i| {
                    first = Some(i);
                    false
                },
            )
        };
        match (first, tail) {
            (Some(i), _) => i,
            (None, Some(i)) => {
                i + values[i..]
                    .iter()
                    .position(|&v| v == max)
                    .expect("the maximum is there")
            }
            (None, None) => unreachable!("the scan stops only at a hit"),
        }
    }

    /// Lanes where steps of `w` are steady (see `super::closed`): one step is `step`, and so
    /// is the next, or only one step (`k == 1`) is asked for.
    #[inline(always)]
    unsafe fn steady(w: __m256d, step: __m256d, k: __m256d, d: __m256d, one: __m256d) -> __m256d {
        let next = _mm256_sub_pd(w, step);
        _mm256_or_pd(
            _mm256_cmp_pd::<_CMP_EQ_OQ>(step, _mm256_sub_pd(next, _mm256_sub_pd(next, d))),
            _mm256_cmp_pd::<_CMP_EQ_OQ>(k, one),
        )
    }

    /// How a row's sum is added into the activation: not at all, `act += w`, or
    /// `act += v * w`. Activity is usually 0/1, and `1.0 * w` is `w` exactly, so the
    /// multiplication is skipped then without changing any bit.
    const NO_ADD: u8 = 0;
    const ADD: u8 = 1;
    const SCALED_ADD: u8 = 2;

    /// What four weights owe in decrements, as decided for a block of sixteen columns (or
    /// for the last few columns): nothing, or any number (blocks owing at most
    /// [`MAX_ROUNDS`] take [`rounds`] instead).
    const NONE: u8 = 0;
    const ANY: u8 = 1;

    #[target_feature(enable = "avx2")]
    unsafe fn run<const UPDATE: bool, const DECREMENTS: bool>(
        row: &mut [f64],
        owed: Owed<'_>,
        add: Option<(f64, &mut [f64])>,
    ) {
        // SAFETY (every arm): AVX2 is enabled here, as in the callee.
        unsafe {
            match add {
                None => run_add::<UPDATE, DECREMENTS, NO_ADD>(row, owed, 0.0, &mut []),
                Some((v, act)) if v == 1.0 => run_add::<UPDATE, DECREMENTS, ADD>(row, owed, v, act),
                Some((v, act)) => run_add::<UPDATE, DECREMENTS, SCALED_ADD>(row, owed, v, act),
            }
        }
    }

    /// The constants of one catch-up, broadcast once.
    struct Consts {
        zero: __m256d,
        one: __m256d,
        increase: __m256d,
        decrease: __m256d,
        d: __m256d,
        exponent: __m256d,
        halfway: __m256i,
        negative_zero: __m256d,
        scale: __m256d,
        raw_decrease: f64,
    }

    #[target_feature(enable = "avx2")]
    unsafe fn run_add<const UPDATE: bool, const DECREMENTS: bool, const ADD_MODE: u8>(
        row: &mut [f64],
        owed: Owed<'_>,
        v: f64,
        act: &mut [f64],
    ) {
        let len = row.len();
        let (before, after) = owed.update.unwrap_or((&[], &[]));
        let (then, now) = owed.decrements.unwrap_or((&[], &[]));
        assert!(
            (!UPDATE || (before.len() == len && after.len() == len))
                && (!DECREMENTS || (then.len() == len && now.len() == len))
                && (ADD_MODE == NO_ADD || act.len() == len),
            "catch_up: slices of different lengths"
        );
        let c = Consts {
            zero: _mm256_setzero_pd(),
            one: _mm256_set1_pd(1.0),
            increase: _mm256_set1_pd(owed.increase),
            decrease: _mm256_set1_pd(-owed.decrease),
            d: _mm256_set1_pd(owed.decrease),
            exponent: _mm256_castsi256_pd(_mm256_set1_epi64x(EXPONENT_BITS as i64)),
            halfway: _mm256_set1_epi64x(owed.halfway as i64),
            negative_zero: _mm256_set1_pd(-0.0),
            scale: _mm256_set1_pd(v),
            raw_decrease: owed.decrease,
        };
        let rp = row.as_mut_ptr();
        let ap = act.as_mut_ptr();
        let mut i = 0;
        // Sixteen columns at a time: their counts in one load each, and one test of what
        // they owe for all four vectors.
        while i + 16 <= len {
            // SAFETY: i + 16 <= len, the length of every slice used (asserted above).
            unsafe {
                let (silent, owed16) = debts::<UPDATE, DECREMENTS>(|s, i| load16(s, i), &owed, i);
                let none = _mm_movemask_epi8(_mm_cmpeq_epi8(owed16, _mm_setzero_si128()));
                // The four vectors of the block; vector q's counts are bytes 4q.. of each.
                macro_rules! four {
                    ($mode:expr) => {{
                        body::<UPDATE, { $mode }, ADD_MODE>(&c, rp, ap, silent, owed16, then, now, i);
                        quarter::<UPDATE, { $mode }, ADD_MODE, 4>(&c, rp, ap, silent, owed16, then, now, i);
                        quarter::<UPDATE, { $mode }, ADD_MODE, 8>(&c, rp, ap, silent, owed16, then, now, i);
                        quarter::<UPDATE, { $mode }, ADD_MODE, 12>(&c, rp, ap, silent, owed16, then, now, i);
                    }};
                }
                if !DECREMENTS || none == 0xffff {
                    four!(NONE);
                } else {
                    let most = max_byte(owed16);
                    if most <= MAX_ROUNDS {
                        rounds::<UPDATE, ADD_MODE>(&c, rp, ap, silent, owed16, i, most);
                    } else {
                        four!(ANY);
                    }
                }
            }
            i += 16;
        }
        while i + 4 <= len {
            // SAFETY: i + 4 <= len, as above.
            unsafe {
                let (silent, owed4) = debts::<UPDATE, DECREMENTS>(|s, i| load4(s, i), &owed, i);
                if DECREMENTS {
                    body::<UPDATE, ANY, ADD_MODE>(&c, rp, ap, silent, owed4, then, now, i);
                } else {
                    body::<UPDATE, NONE, ADD_MODE>(&c, rp, ap, silent, owed4, then, now, i);
                }
            }
            i += 4;
        }
        let tail = Owed {
            update: owed.update.map(|(b, a)| (&b[i..], &a[i..])),
            decrements: owed.decrements.map(|(t, n)| (&t[i..], &n[i..])),
            ..owed
        };
        let tail_add = (ADD_MODE != NO_ADD).then(|| (v, &mut act[i..]));
        catch_up_portable(&mut row[i..], tail, tail_add);
    }

    /// What the columns `load` reads at `i` owe: the update's silent columns (all bits set
    /// where the count did not change in the update's step) and the decrements counted
    /// since. Zero for what the row does not owe.
    #[inline(always)]
    unsafe fn debts<const UPDATE: bool, const DECREMENTS: bool>(
        load: impl Fn(&[u8], usize) -> __m128i,
        owed: &Owed<'_>,
        i: usize,
    ) -> (__m128i, __m128i) {
        let (before, after) = owed.update.unwrap_or((&[], &[]));
        let (then, now) = owed.decrements.unwrap_or((&[], &[]));
        let silent = if UPDATE {
            _mm_cmpeq_epi8(load(after, i), load(before, i))
        } else {
            _mm_setzero_si128()
        };
        let counts = if DECREMENTS {
            _mm_sub_epi8(load(now, i), load(then, i))
        } else {
            _mm_setzero_si128()
        };
        (silent, counts)
    }

    /// Sixteen `u8` counts from `slice[i..i + 16]`.
    #[inline(always)]
    unsafe fn load16(slice: &[u8], i: usize) -> __m128i {
        // SAFETY (caller): i + 16 <= slice.len().
        unsafe { _mm_loadu_si128(slice.as_ptr().add(i) as *const __m128i) }
    }

    /// Four `u8` counts from `slice[i..i + 4]`, as the low bytes of a vector.
    #[inline(always)]
    unsafe fn load4(slice: &[u8], i: usize) -> __m128i {
        // SAFETY (caller): i + 4 <= slice.len().
        _mm_cvtsi32_si128(unsafe { std::ptr::read_unaligned(slice.as_ptr().add(i) as *const i32) })
    }

    /// [`body`] for the four columns `BYTES` further on, whose counts are the bytes from
    /// `BYTES` on of `silent` and `owed`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn quarter<const UPDATE: bool, const MODE: u8, const ADD_MODE: u8, const BYTES: i32>(
        c: &Consts,
        row: *mut f64,
        act: *mut f64,
        silent: __m128i,
        owed: __m128i,
        then: &[u8],
        now: &[u8],
        i: usize,
    ) {
        // SAFETY (caller): as for `body`, for columns i + BYTES.. .
        unsafe {
            body::<UPDATE, MODE, ADD_MODE>(
                c,
                row,
                act,
                _mm_srli_si128::<BYTES>(silent),
                _mm_srli_si128::<BYTES>(owed),
                then,
                now,
                i + BYTES as usize,
            )
        }
    }

    /// Four weights at `row + i`: the owed update (lanes whose byte of `silent` is set lose
    /// `decrease`, the others gain `increase`), then the decrements counted in the low four
    /// bytes of `owed` (none or any, as `MODE` says), then the add into the activation at
    /// `act + i`. `then`/`now` name the counts, for lanes done one at a time.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn body<const UPDATE: bool, const MODE: u8, const ADD_MODE: u8>(
        c: &Consts,
        row: *mut f64,
        act: *mut f64,
        silent: __m128i,
        owed: __m128i,
        then: &[u8],
        now: &[u8],
        i: usize,
    ) {
        // SAFETY (caller): row + i.. holds four weights, and act + i.. four activations
        // when they are added (act is never offset otherwise: it may be an empty slice's).
        let p = unsafe { row.add(i) };
        let a = act.wrapping_add(i);
        unsafe {
            let mut w = _mm256_loadu_pd(p);
            if UPDATE {
                w = updated(c, w, silent);
            }
            if MODE == ANY {
                // No test of these four lanes' counts first: which way such a test goes
                // is data, and a mispredicted branch costs more than the closed form.
                w = many(c, w, owed, then, now, i);
            }
            if UPDATE || MODE != NONE {
                _mm256_storeu_pd(p, w); // a row that owes nothing is only read
            }
            add_into::<ADD_MODE>(c, a, w);
        }
    }

    /// Adds four caught-up weights into the activation at `a`, as `ADD_MODE` says.
    #[inline(always)]
    unsafe fn add_into<const ADD_MODE: u8>(c: &Consts, a: *mut f64, w: __m256d) {
        // SAFETY (caller): a.. holds four activations when they are added.
        unsafe {
            match ADD_MODE {
                ADD => _mm256_storeu_pd(a, _mm256_add_pd(_mm256_loadu_pd(a), w)),
                SCALED_ADD => _mm256_storeu_pd(a, _mm256_add_pd(_mm256_loadu_pd(a), _mm256_mul_pd(c.scale, w))),
                _ => {}
            }
        }
    }

    /// The most decrements blocks of sixteen columns take one round per decrement for
    /// (see [`rounds`]); above it, the closed form of [`many`] is cheaper.
    const MAX_ROUNDS: u32 = 8;

    /// The largest of sixteen `u8` counts.
    #[inline(always)]
    unsafe fn max_byte(x: __m128i) -> u32 {
        let x = _mm_max_epu8(x, _mm_srli_si128::<8>(x));
        let x = _mm_max_epu8(x, _mm_srli_si128::<4>(x));
        let x = _mm_max_epu8(x, _mm_srli_si128::<2>(x));
        let x = _mm_max_epu8(x, _mm_srli_si128::<1>(x));
        (_mm_cvtsi128_si32(x) & 0xff) as u32
    }

    /// Sixteen columns whose counts are at most `most`: the update as in [`body`], then the
    /// decrements one round at a time, exactly as the rule takes them: in round `r`, each
    /// live lane owing more than `r` takes `fl(w - d)` clipped at 0 (a lane reaching 0 is
    /// dead after, and `0 - d` clips back to +0); the others take `w - (+0)`, which is `w`
    /// to the bit (-0.0 and NaN included). No binade arguments, no slow lanes: four
    /// operations a vector a round, cheaper than [`many`] for the small counts of a row
    /// read every few steps.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn rounds<const UPDATE: bool, const ADD_MODE: u8>(
        c: &Consts,
        row: *mut f64,
        act: *mut f64,
        silent: __m128i,
        owed: __m128i,
        i: usize,
        most: u32,
    ) {
        // SAFETY (caller): row + i.. holds sixteen weights, and act + i.. sixteen
        // activations when they are added.
        unsafe {
            let p = row.add(i);
            let mut w = [
                _mm256_loadu_pd(p),
                _mm256_loadu_pd(p.add(4)),
                _mm256_loadu_pd(p.add(8)),
                _mm256_loadu_pd(p.add(12)),
            ];
            let silents = [
                silent,
                _mm_srli_si128::<4>(silent),
                _mm_srli_si128::<8>(silent),
                _mm_srli_si128::<12>(silent),
            ];
            let counts = [
                owed,
                _mm_srli_si128::<4>(owed),
                _mm_srli_si128::<8>(owed),
                _mm_srli_si128::<12>(owed),
            ];
            let mut n = [_mm256_setzero_si256(); 4];
            for q in 0..4 {
                if UPDATE {
                    w[q] = updated(c, w[q], silents[q]);
                }
                // Dead lanes (after the update) owe nothing.
                let dead = _mm256_castpd_si256(_mm256_cmp_pd::<_CMP_EQ_OQ>(w[q], c.zero));
                n[q] = _mm256_andnot_si256(dead, _mm256_cvtepu8_epi64(counts[q]));
            }
            for r in 0..most {
                let r = _mm256_set1_epi64x(r as i64);
                for q in 0..4 {
                    let on = _mm256_castsi256_pd(_mm256_cmpgt_epi64(n[q], r));
                    w[q] = _mm256_max_pd(c.zero, _mm256_sub_pd(w[q], _mm256_and_pd(on, c.d)));
                }
            }
            for (q, w) in w.into_iter().enumerate() {
                _mm256_storeu_pd(p.add(4 * q), w);
                add_into::<ADD_MODE>(c, act.wrapping_add(i + 4 * q), w);
            }
        }
    }

    /// Four weights after an update: lanes whose byte of `silent` is set lose `decrease`,
    /// the others gain `increase`; dead weights stay; the result is clipped to [0, 1].
    #[inline(always)]
    unsafe fn updated(c: &Consts, w: __m256d, silent: __m128i) -> __m256d {
        // A dead weight gets -0.0, which leaves it (and the clip) exactly as it was.
        // Selecting the change rather than the weight keeps the compiler from turning the
        // store into a masked store, which is slow on AMD. The clip is max/min with the
        // weight second, so NaN passes through as numpy's does.
        let silent = _mm256_castsi256_pd(_mm256_cvtepi8_epi64(silent));
        let delta = _mm256_blendv_pd(c.increase, c.decrease, silent);
        let delta = _mm256_blendv_pd(delta, c.negative_zero, _mm256_cmp_pd::<_CMP_EQ_OQ>(w, c.zero));
        _mm256_min_pd(c.one, _mm256_max_pd(c.zero, _mm256_add_pd(w, delta)))
    }

    /// Any number of decrements a lane: the closed form of `super::closed` where every step
    /// provably stays in the weight's binade outside the rate's halfway binade (see
    /// [`super::halfway_binade`]); anything else goes to [`slow`].
    #[inline(always)]
    unsafe fn many(c: &Consts, w: __m256d, owed: __m128i, then: &[u8], now: &[u8], i: usize) -> __m256d {
        let n = _mm256_cvtepi32_pd(_mm_cvtepu8_epi32(owed));
        // Dead weights owe nothing: `w - 0 * step` is `w`, sign and all.
        let dead = _mm256_cmp_pd::<_CMP_EQ_OQ>(w, c.zero);
        let live_n = _mm256_andnot_pd(dead, n);
        let step = _mm256_sub_pd(w, _mm256_sub_pd(w, c.d));
        let closed = _mm256_sub_pd(w, _mm256_mul_pd(live_n, step));
        // Every step stayed in the binade [L, 2L) if `closed = w - n step` is above L. If
        // `n step >= w - L` (an exact difference), rounding cannot lift `closed` above L,
        // so such lanes are rejected. Otherwise `n step` and `closed` are exact multiples
        // of the binade's spacing u, so `closed >= L + u`, and each step's exact `x - d`
        // is at least L + u/2 (`step` is `d` rounded to a multiple of u): inside.
        let floor = _mm256_and_pd(w, c.exponent);
        let inside = _mm256_cmp_pd::<_CMP_GT_OQ>(closed, floor);
        let halfway = _mm256_castsi256_pd(_mm256_cmpeq_epi64(_mm256_castpd_si256(floor), c.halfway));
        let done = _mm256_or_pd(
            _mm256_andnot_pd(halfway, inside),
            _mm256_cmp_pd::<_CMP_EQ_OQ>(live_n, c.zero),
        );
        if _mm256_movemask_pd(done) == 0xf {
            closed
        } else {
            // SAFETY: as the caller's.
            unsafe { slow(c, w, live_n, step, closed, done, then, now, i) }
        }
    }

    /// The lanes of [`many`] not `done` (whose result is `closed`). A live weight that n
    /// steps surely take to 0 or below ends at +0 (`GONE_MARGIN`). Most others cross into
    /// the next binade down: k steps inside (k at most what fits), one step across, the
    /// rest inside the next, each verified as in `super::closed` (a halfway rate's steps
    /// included). Anything else (NaN, two binades crossed): these four one at a time.
    #[inline(never)]
    #[target_feature(enable = "avx2")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn slow(
        c: &Consts,
        w: __m256d,
        n: __m256d,
        step: __m256d,
        closed: __m256d,
        done: __m256d,
        then: &[u8],
        now: &[u8],
        i: usize,
    ) -> __m256d {
        let (zero, one, d) = (c.zero, c.one, c.d);
        let gone = _mm256_and_pd(
            _mm256_cmp_pd::<_CMP_GT_OQ>(n, zero),
            _mm256_cmp_pd::<_CMP_LE_OQ>(_mm256_mul_pd(w, _mm256_set1_pd(GONE_MARGIN)), _mm256_mul_pd(n, d)),
        );
        let once = _mm256_blendv_pd(closed, zero, gone);
        let done = _mm256_or_pd(done, gone);
        if _mm256_movemask_pd(done) == 0xf {
            return once;
        }
        let floor = _mm256_and_pd(w, c.exponent);
        let fits = _mm256_div_pd(_mm256_sub_pd(_mm256_sub_pd(w, floor), d), step);
        let k = _mm256_min_pd(
            _mm256_max_pd(_mm256_add_pd(_mm256_floor_pd(fits), one), zero),
            _mm256_sub_pd(n, one),
        );
        let last = _mm256_sub_pd(w, _mm256_mul_pd(_mm256_sub_pd(k, one), step));
        let first_ok = _mm256_and_pd(
            steady(w, step, k, d, one),
            _mm256_cmp_pd::<_CMP_GT_OQ>(_mm256_sub_pd(last, d), floor),
        );
        // Where k steps cannot be vouched for, take none before the step across (after
        // which a halfway rate's steps are steady).
        let k = _mm256_and_pd(k, first_ok);
        let across = _mm256_sub_pd(_mm256_sub_pd(w, _mm256_mul_pd(k, step)), d);
        let m = _mm256_sub_pd(_mm256_sub_pd(n, k), one);
        let step2 = _mm256_sub_pd(across, _mm256_sub_pd(across, d));
        let last2 = _mm256_sub_pd(across, _mm256_mul_pd(_mm256_sub_pd(m, one), step2));
        let second_ok = _mm256_or_pd(
            _mm256_cmp_pd::<_CMP_EQ_OQ>(m, zero),
            _mm256_and_pd(
                steady(across, step2, m, d, one),
                _mm256_cmp_pd::<_CMP_GT_OQ>(_mm256_sub_pd(last2, d), _mm256_and_pd(across, c.exponent)),
            ),
        );
        let crossed = _mm256_and_pd(second_ok, _mm256_cmp_pd::<_CMP_GT_OQ>(across, zero));
        if _mm256_movemask_pd(_mm256_or_pd(done, crossed)) == 0xf {
            let twice = _mm256_sub_pd(across, _mm256_mul_pd(m, step2));
            return _mm256_blendv_pd(twice, once, done);
        }
        let mut lanes = [0.0f64; 4];
        // SAFETY: `lanes` holds four f64.
        unsafe { _mm256_storeu_pd(lanes.as_mut_ptr(), w) };
        for (k, lane) in lanes.iter_mut().enumerate() {
            let n = now[i + k].wrapping_sub(then[i + k]);
            *lane = super::decrease_times(*lane, n as u32, c.raw_decrease);
        }
        // SAFETY: as above.
        unsafe { _mm256_loadu_pd(lanes.as_ptr()) }
    }
}

#[cfg(target_arch = "x86_64")]
fn has_avx2() -> bool {
    use std::sync::OnceLock;
    static AVX2: OnceLock<bool> = OnceLock::new();
    *AVX2.get_or_init(|| std::arch::is_x86_feature_detected!("avx2"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_random::uniform;

    /// `n` steps of the one-step rule, one at a time: what [`decrease_times`] must equal.
    fn stepwise(mut w: f64, n: u32, d: f64) -> f64 {
        for _ in 0..n {
            w = decrease(w, -d);
        }
        w
    }

    fn same(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    /// Weights a run meets: random ones, saturated ones, powers of two and their
    /// neighbours (binade edges), tiny and dead ones.
    fn awkward_weights(seed: &mut u64, n: usize) -> Vec<f64> {
        let mut out = uniform(seed, n);
        let edges = [
            1.0,
            0.5,
            0.25,
            0.125,
            0.0078125,
            0.015625,
            0.001,
            0.002,
            1e-300,
            0.0,
            -0.0,
            f64::NAN,
        ];
        for (k, w) in out.iter_mut().enumerate() {
            match k % 5 {
                0 => *w = edges[k / 5 % edges.len()],
                1 => *w = f64::from_bits(edges[k / 5 % edges.len()].to_bits().wrapping_add(k as u64 % 7)),
                2 => *w *= 0.05,
                _ => {}
            }
        }
        out
    }

    #[test]
    fn decrease_times_is_repeated_decrease() {
        let mut seed = 5u64;
        // 0.001 has a halfway binade ([2^-7, 2^-6)); 3 * 2^-54 is halfway in [0.5, 1).
        for d in [0.001, 0.005, 3.0 * 2f64.powi(-54), 0.0, 0.3, 1e-9, f64::INFINITY] {
            for &w in &awkward_weights(&mut seed, 400) {
                for n in [0, 1, 2, 3, 5, 8, 40, 255] {
                    let (got, want) = (decrease_times(w, n, d), stepwise(w, n, d));
                    assert!(same(got, want), "w={w:e} n={n} d={d:e}: {got:e} vs {want:e}");
                }
            }
        }
    }

    /// Weights a few spacings above a power of two, with rates of a few (half) spacings:
    /// the last steps inside the binade, the step across and the steps after it.
    #[test]
    fn decrease_times_is_exact_at_binade_edges() {
        for floor in [0.5, 0.25, 2f64.powi(-7)] {
            let u = floor * 2f64.powi(-52);
            for j in 0..6u32 {
                let w = floor + j as f64 * u;
                for half_spacings in 1..8u32 {
                    let d = half_spacings as f64 * u / 2.0;
                    for n in 1..6 {
                        let (got, want) = (decrease_times(w, n, d), stepwise(w, n, d));
                        assert!(same(got, want), "w={w:e} n={n} d={d:e}: {got:e} vs {want:e}");
                    }
                }
            }
        }
    }

    /// [`closed`] is the shortcut: steps that stay in the weight's binade, each taking the
    /// same float, are taken at once (and equal the steps one by one); others are refused.
    #[test]
    fn closed_takes_steady_steps_inside_the_binade_at_once() {
        // 0.001 is halfway on the spacing of [2^-7, 2^-6): from an even weight there every
        // step takes the same float, from an odd one the first and the next differ.
        let even = f64::from_bits(0.012f64.to_bits() & !1);
        let odd = f64::from_bits(0.012f64.to_bits() | 1);
        for (w, k, d) in [
            (0.75, 10, 0.001),
            (0.99, 255, 0.0017),
            (0.3, 2, 1e-9),
            (0.6, 1, 0.05),
            (0.126, 7, 3.0 * 2f64.powi(-54)),
            (even, 3, 0.001),
        ] {
            let want = stepwise(w, k, d);
            assert_eq!(
                closed(w, k, d).map(f64::to_bits),
                Some(want.to_bits()),
                "w={w:e} k={k} d={d:e}"
            );
        }
        // Out of the binade: 0.51 - 20 * 0.001 < 0.5; and the odd weight's unsteady steps.
        assert_eq!(closed(0.51, 20, 0.001), None);
        assert_eq!(closed(odd, 2, 0.001), None);
        assert_eq!(
            closed(odd, 1, 0.001).map(f64::to_bits),
            Some(stepwise(odd, 1, 0.001).to_bits())
        );
    }

    #[test]
    fn the_halfway_binade_is_the_one_where_steps_alternate() {
        for d in [0.001, 0.005, 3.0 * 2f64.powi(-54), 0.3, 1e-9, 0.5, 1.0, 5e-324, 1e-310] {
            // Brute force: the binade [2^k, 2^(k+1)) whose spacing 2^(k-52) has d/spacing
            // with a fractional part of exactly one half (the division is exact).
            let mut found = 1u64;
            let pow2 = |k: i32| {
                if k >= -1022 {
                    f64::from_bits(((k + 1023) as u64) << 52)
                } else {
                    f64::from_bits(1 << (k + 1074))
                }
            };
            for k in -1022..=1023 {
                let spacing = pow2(k - 52);
                let q = d / spacing;
                if q.is_finite() && q - q.floor() == 0.5 {
                    assert_eq!(found, 1, "two halfway binades for {d:e}");
                    found = pow2(k).to_bits() & EXPONENT_BITS;
                }
            }
            assert_eq!(halfway_binade(d), found, "{d:e}");
        }
        assert_eq!(halfway_binade(0.001), 2f64.powi(-7).to_bits());
        assert_eq!((halfway_binade(0.0), halfway_binade(f64::INFINITY)), (1, 1));
    }

    #[test]
    fn first_max_finds_the_first_largest_number() {
        for n in [1, 5, 16, 17, 40, 100] {
            let mut values: Vec<f64> = (0..n).map(|i| ((i * 37) % 11) as f64 - 5.0).collect();
            let want = max_portable(&values);
            assert_eq!(first_max(&values), want, "n = {n}");
            assert_eq!(values[want], values.iter().cloned().fold(f64::MIN, f64::max));
            // Struck out (NaN) values are skipped; of equals the first wins; -inf counts.
            if n > 1 {
                values[want] = f64::NAN;
                assert_eq!(first_max(&values), max_portable(&values), "n = {n}, one struck out");
            }
            let mut low = vec![f64::NAN; n];
            low[n - 1] = f64::NEG_INFINITY;
            assert_eq!(first_max(&low), n - 1);
            let zeros: Vec<f64> = (0..n).map(|i| if i % 2 == 0 { -0.0 } else { 0.0 }).collect();
            assert_eq!(first_max(&zeros), 0);
        }
    }

    #[test]
    fn both_builds_agree_bit_for_bit() {
        let mut seed = 9u64;
        for len in [0, 3, 4, 101, 1031] {
            // Rows the engine catches up are within [0, 1] (or NaN): negative ones made
            // positive, -0.0 kept.
            let row: Vec<f64> = awkward_weights(&mut seed, len)
                .into_iter()
                .map(|w| if w < 0.0 { -w } else { w })
                .collect();
            // And the same row mostly dead, as learning leaves it: blocks whose live weights
            // owe few decrements while dead ones owe many, and blocks with no live weight.
            let dying: Vec<f64> = row
                .iter()
                .zip(uniform(&mut seed, len))
                .map(|(&w, x)| if x < 0.8 { 0.0 } else { w })
                .collect();
            let act: Vec<f64> = uniform(&mut seed, len);
            let byte = |x: f64| (x * 12.0) as u8;
            let draws = uniform(&mut seed, 8 * len);
            let before: Vec<u8> = draws[..len].iter().map(|&x| byte(x).wrapping_add(250)).collect();
            let after: Vec<u8> = before
                .iter()
                .zip(&draws[len..2 * len])
                .map(|(&b, &x)| b.wrapping_add((x < 0.3) as u8))
                .collect();
            // The counts after `after` of a row silent since then: `steps(x)` for a draw x.
            let owed = |k: usize, steps: &dyn Fn(f64) -> u8| -> Vec<u8> {
                let draws = &draws[(2 + k) * len..(3 + k) * len];
                after
                    .iter()
                    .zip(draws)
                    .map(|(&a, &x)| a.wrapping_add(steps(x)))
                    .collect()
            };
            // Counts of up to 11 steps, and of at most one (a row read every few steps).
            let now = owed(0, &byte);
            let once = owed(1, &|x| (x < 0.5) as u8);
            // Mostly nothing owed (whole blocks of columns skip the arithmetic).
            let sparse = owed(2, &|x| (x < 0.02) as u8 + (x < 0.005) as u8);
            // Long silences (up to 255 steps: weights cross binades or reach 0; counts of
            // 128 and more would read as negative in a signed compare).
            let long = owed(3, &|x| (x * 256.0) as u8);
            // Up to 8 steps: blocks taken one round per decrement.
            let few = owed(4, &|x| (x * 9.0) as u8);
            // Small counts with a rare one of 128 or more among them.
            let spiky = owed(5, &|x| {
                if x < 0.05 {
                    128 + (x * 2000.0) as u8
                } else {
                    (x * 4.0) as u8
                }
            });
            let rows = [
                (&row, [&now, &once, &sparse, &long, &few, &spiky]),
                (&dying, [&few, &spiky, &long, &long, &long, &long]),
            ];
            for (row, [now, once, sparse, long, few, spiky]) in rows {
                for (inc, dec, now) in [
                    (0.005, 0.001, now),
                    (0.05, 3.0 * 2f64.powi(-54), now),
                    (2.0, 0.5, now),
                    (0.005, 0.001, once),
                    (0.2, 0.3, once),
                    (0.005, 0.001, sparse),
                    (0.005, 0.001, long),
                    (0.005, 0.001, few),
                    (0.005, 0.001, spiky),
                    (2.0, 0.5, few),
                    (0.2, 0.3, few),
                    (0.05, 3.0 * 2f64.powi(-54), few),
                    (f64::INFINITY, f64::INFINITY, now),
                    (0.005, f64::INFINITY, sparse),
                ] {
                    // No add, an add of 0/1 activity, a scaled add; each with every kind of debt.
                    let kinds = [(false, false), (true, false), (false, true), (true, true)];
                    for ((update, decrements), v) in kinds.into_iter().flat_map(|k| [(k, 0.75), (k, 1.0), (k, 0.0)]) {
                        let owed = Owed {
                            update: update.then_some((&before[..], &after[..])),
                            decrements: decrements.then_some((&after[..], &now[..])),
                            increase: inc,
                            decrease: dec,
                            halfway: halfway_binade(dec),
                        };
                        let (mut a, mut b) = (row.clone(), row.clone());
                        let (mut x, mut y) = (act.clone(), act.clone());
                        if v == 0.0 {
                            catch_up(&mut a, owed, None);
                            catch_up_portable(&mut b, owed, None);
                        } else {
                            catch_up(&mut a, owed, Some((v, &mut x)));
                            catch_up_portable(&mut b, owed, Some((v, &mut y)));
                        }
                        // And the portable build against the rule applied step by step.
                        let mut c = row.clone();
                        for j in 0..len {
                            if update {
                                c[j] = update_fn(c[j], if after[j] != before[j] { inc } else { -dec });
                            }
                            if decrements {
                                c[j] = stepwise(c[j], now[j].wrapping_sub(after[j]) as u32, dec);
                            }
                        }
                        let bits = |v: &[f64]| {
                            v.iter()
                                .map(|x| if x.is_nan() { 1 } else { x.to_bits() })
                                .collect::<Vec<u64>>()
                        };
                        assert_eq!(bits(&a), bits(&b), "len {len} {update} {decrements} {v}");
                        assert_eq!(bits(&b), bits(&c), "len {len} {update} {decrements} {v}");
                        assert_eq!(bits(&x), bits(&y), "len {len} {update} {decrements} {v}");
                    }
                }
            }
        }
    }

    fn update_fn(w: f64, delta: f64) -> f64 {
        update(w, delta)
    }
}

//! The dense inner loops, compiled twice on x86-64: for the baseline CPU the wheel targets
//! and with AVX2, chosen at run time. Both compute every element with the same IEEE
//! operations (AVX2 lanes round exactly like scalar SSE2; no fused multiply-add), so
//! results are bit-identical whichever runs.
use super::learn::update;

/// `act[j] += v * row[j]` for every j.
#[inline]
pub(crate) fn add_scaled(act: &mut [f64], v: f64, row: &[f64]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2 (checked at run time).
        return unsafe { add_scaled_avx2(act, v, row) };
    }
    add_scaled_portable(act, v, row)
}

/// `row[j] = update(row[j], delta[j])` for every j (one Hebbian step of an active row).
#[inline]
pub(crate) fn update_row(row: &mut [f64], delta: &[f64]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2 (checked at run time).
        return unsafe { update_row_avx2(row, delta) };
    }
    update_row_portable(row, delta)
}

#[inline(always)]
fn add_scaled_portable(act: &mut [f64], v: f64, row: &[f64]) {
    for (a, &w) in act.iter_mut().zip(row) {
        *a += v * w;
    }
}

#[inline(always)]
fn update_row_portable(row: &mut [f64], delta: &[f64]) {
    for (w, &d) in row.iter_mut().zip(delta) {
        *w = update(*w, d);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn add_scaled_avx2(act: &mut [f64], v: f64, row: &[f64]) {
    add_scaled_portable(act, v, row)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn update_row_avx2(row: &mut [f64], delta: &[f64]) {
    update_row_portable(row, delta)
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
    use crate::engine::test_support::uniform;

    #[test]
    fn both_builds_agree_bit_for_bit() {
        let mut seed = 9u64;
        let mut draw = |n| {
            uniform(&mut seed, n)
                .into_iter()
                .map(|x| x * 1.2 - 0.1)
                .collect::<Vec<f64>>()
        };
        let row = draw(1031);
        let delta: Vec<f64> = draw(1031).iter().map(|d| d * 0.01).collect();
        let (mut a, mut b) = (row.clone(), row.clone());
        update_row(&mut a, &delta);
        update_row_portable(&mut b, &delta);
        assert_eq!(
            a.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            b.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
        let (mut x, mut y) = (delta.clone(), delta.clone());
        add_scaled(&mut x, 0.75, &row);
        add_scaled_portable(&mut y, 0.75, &row);
        assert_eq!(
            x.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            y.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }
}

//! The arithmetic of the Hebbian rule for one weight (docs/specification.md §4): add a
//! change and clip to [0, 1], leaving a dead (exactly 0) weight dead. Learning applies it
//! step by step, and the kernels replay logged steps with it, so both give the same bits.

/// One weight's change: a dead (exactly 0) weight stays dead; otherwise add and clip.
/// Written with selects rather than branches so loops over rows vectorise.
#[inline(always)]
pub(crate) fn update(w: f64, delta: f64) -> f64 {
    let changed = clip(w + delta);
    if w == 0.0 {
        w
    } else {
        changed
    }
}

/// [`update`] for a `delta <= 0` on a weight within [0, 1] (or NaN): the sum cannot pass
/// 1, so only the lower bound needs checking. Gives exactly what `update` gives there.
#[inline(always)]
pub(crate) fn decrease(w: f64, delta: f64) -> f64 {
    let x = w + delta;
    let changed = if x < 0.0 { 0.0 } else { x };
    if w == 0.0 {
        w
    } else {
        changed
    }
}

/// A weight no rule changes: only the clip applies (dead weights stay as they are).
#[inline(always)]
pub(crate) fn keep_dead(w: f64) -> f64 {
    if w == 0.0 {
        w
    } else {
        clip(w)
    }
}

/// Clip to [0, 1]; NaN stays NaN, as with numpy's clip.
#[inline(always)]
fn clip(w: f64) -> f64 {
    let low = if w < 0.0 { 0.0 } else { w };
    if low > 1.0 {
        1.0
    } else {
        low
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decrease_equals_update_on_unit_weights() {
        let weights = [0.0, -0.0, 1e-300, 0.0005, 0.001, 0.0015, 0.3, 0.999, 1.0, f64::NAN];
        for &w in &weights {
            for d in [0.0, -0.0, -0.001, -0.5, -2.0] {
                let (a, b) = (update(w, d), decrease(w, d));
                assert!(
                    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                    "{w} {d}: {a} vs {b}"
                );
            }
        }
        assert!(clip(f64::NAN).is_nan());
        assert_eq!((clip(-1.0), clip(2.0), clip(0.5)), (0.0, 1.0, 0.5));
    }
}

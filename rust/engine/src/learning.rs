//! Hebbian learning (docs/specification.md §4), with work proportional to activity.
use crate::activity::{read, SharedActivity};
use crate::computation::Buffers;
use crate::connection::Connection;
use crate::error::{EngineError, Result};
use crate::hebbian_rule::{keep_dead, update};
use crate::synapses::Synapses;

/// `HebbianLearning(increase, decrease)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hebbian {
    increase: f64,
    decrease: f64,
}

impl Hebbian {
    /// Both rates must be non-negative numbers.
    pub fn new(increase: f64, decrease: f64) -> Result<Self> {
        for (name, rate) in [("increase", increase), ("decrease", decrease)] {
            if rate.is_nan() || rate < 0.0 {
                return Err(EngineError::InvalidParameter {
                    name,
                    message: format!("must be a non-negative number, got {rate}"),
                });
            }
        }
        Ok(Hebbian { increase, decrease })
    }

    pub fn increase(&self) -> f64 {
        self.increase
    }

    pub fn decrease(&self) -> f64 {
        self.decrease
    }

    /// One learning step of a group: every connection learns from its source's activity
    /// (pre) and the group's output (post).
    pub fn learn_group(&self, inputs: &[&Connection], output: &SharedActivity) -> Result<()> {
        self.learn_inputs(inputs.iter().copied(), output, &mut Buffers::default())
    }

    /// [`Hebbian::learn_group`] over any sequence of inputs, with reused buffers.
    pub(crate) fn learn_inputs<'a>(
        &self,
        inputs: impl IntoIterator<Item = &'a Connection>,
        output: &SharedActivity,
        buffers: &mut Buffers,
    ) -> Result<()> {
        let post = {
            let output = read(output);
            buffers.post_ones.clear();
            output.for_each_one(|j| buffers.post_ones.push(j));
            output.size()
        };
        for conn in inputs {
            self.learn_ones(conn, post, &buffers.post_ones, &mut buffers.pre_ones)?;
        }
        Ok(())
    }

    /// One learning step of one connection. With pre = (input == 1) and post = (output == 1):
    /// pre & !post and !pre & post lose `decrease`, pre & post gain `increase`, a weight
    /// that was exactly 0 stays 0, and every weight is clipped to [0, 1].
    ///
    /// Only the rows of active inputs and the columns of active neurons change. The clip of
    /// every other weight is skipped while the weights are known to lie within [0, 1]; when
    /// they may not (set from outside), this step visits every weight once.
    pub fn learn(&self, conn: &Connection, post_values: &[f64]) -> Result<()> {
        let post_ones: Vec<usize> = (0..post_values.len()).filter(|&j| post_values[j] == 1.0).collect();
        self.learn_ones(conn, post_values.len(), &post_ones, &mut Vec::new())
    }

    /// [`Hebbian::learn`] for a group of `post` units whose active units are `post_ones`
    /// (ascending); `pre_ones` is a buffer for the connection's active inputs.
    fn learn_ones(&self, conn: &Connection, post: usize, post_ones: &[usize], pre_ones: &mut Vec<usize>) -> Result<()> {
        if conn.post_size() != post {
            return Err(EngineError::ShapeMismatch {
                what: "input learning from the group".into(),
                expected: vec![post],
                found: conn.post_shape().to_vec(),
            });
        }
        conn.source().ones_into(pre_ones);
        let (inc, dec) = (self.increase, -self.decrease);
        let mut synapses = conn.weights_mut();
        let weights = match &mut *synapses {
            Synapses::Dense(weights) => weights,
            Synapses::Sparse(weights) => {
                return weights.learn(pre_ones, post_ones, self.increase, self.decrease);
            }
        };
        let post = weights.post();

        if !weights.within_unit() {
            let mut post_mask = vec![false; post];
            for &j in post_ones {
                post_mask[j] = true;
            }
            let mut pre_mask = vec![false; weights.pre()];
            for &i in pre_ones.iter() {
                pre_mask[i] = true;
            }
            let data = weights.data_mut();
            for (row, &is_pre) in data.chunks_exact_mut(post.max(1)).zip(&pre_mask) {
                for (w, &is_post) in row.iter_mut().zip(&post_mask) {
                    *w = match (is_pre, is_post) {
                        (true, true) => update(*w, inc),
                        (false, false) => keep_dead(*w),
                        _ => update(*w, dec),
                    };
                }
            }
        } else if self.increase != 0.0 || self.decrease != 0.0 {
            // Within [0, 1] the clip only matters for changed weights, so the step is
            // logged and each row replays it when next read (see `Weights`).
            weights.log_step(post_ones, self.increase, self.decrease, pre_ones)?;
        }
        weights.set_within_unit();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::connection;

    #[test]
    fn the_rates_read_back_as_given() {
        let rule = Hebbian::new(0.25, 0.125).unwrap();
        assert_eq!((rule.increase(), rule.decrease()), (0.25, 0.125));
    }

    #[test]
    fn spec_vector() {
        let c = connection(&[1.0, 0.0, 1.0], vec![0.8, 0.4, 0.6, 0.8, 0.5, 0.4], 2);
        Hebbian::new(0.1, 0.05).unwrap().learn(&c, &[1.0, 0.0]).unwrap();
        let expected = [0.8 + 0.1, 0.4 - 0.05, 0.6 - 0.05, 0.8, 0.5 + 0.1, 0.4 - 0.05];
        assert_eq!(c.weights_mut().to_dense().unwrap(), &expected);
    }

    #[test]
    fn dead_weights_stay_dead_and_clip_applies() {
        let c = connection(&[1.0, 0.0], vec![0.0, 0.98, 0.0, 0.01], 2);
        Hebbian::new(0.05, 0.05).unwrap().learn(&c, &[1.0, 1.0]).unwrap();
        assert_eq!(c.weights_mut().to_dense().unwrap(), &[0.0, 1.0, 0.0, 0.0]);
    }

    #[test]
    fn out_of_range_weights_are_clipped_once() {
        // row 1 is silent and column 1 is silent: no rule touches w[1][1], only the clip.
        let c = connection(&[1.0, 0.0], vec![0.5, 0.5, 0.5, 3.0], 2);
        assert!(!c.weights().within_unit());
        Hebbian::new(0.1, 0.1).unwrap().learn(&c, &[1.0, 0.0]).unwrap();
        assert_eq!(c.weights_mut().to_dense().unwrap(), &[0.6, 0.4, 0.4, 1.0]);
        assert!(c.weights().within_unit());
    }

    #[test]
    fn a_weight_of_a_silent_input_and_neuron_is_only_clipped_in_a_full_pass() {
        // Out of range (3.0): every weight is visited; w[2][1] is silent on both sides.
        let c = connection(&[1.0, 0.0, 0.0], vec![0.5, 0.5, 0.5, 3.0, 0.5, 0.25], 2);
        Hebbian::new(0.1, 0.1).unwrap().learn(&c, &[1.0, 0.0]).unwrap();
        assert_eq!(c.weights_mut().to_dense().unwrap(), &[0.6, 0.4, 0.4, 1.0, 0.4, 0.25]);
    }

    #[test]
    fn one_rate_of_zero_leaves_the_other_to_learn() {
        for (inc, dec, want) in [
            (0.25, 0.0, [0.75, 0.5, 0.5, 0.5]),
            (0.0, 0.25, [0.5, 0.25, 0.25, 0.5]),
            (0.0, 0.0, [0.5; 4]),
        ] {
            let c = connection(&[1.0, 0.0], vec![0.5; 4], 2);
            assert!(c.weights().within_unit());
            Hebbian::new(inc, dec).unwrap().learn(&c, &[1.0, 0.0]).unwrap();
            assert_eq!(
                c.weights_mut().to_dense().unwrap(),
                &want,
                "increase {inc}, decrease {dec}"
            );
        }
    }

    #[test]
    fn a_group_of_another_size_is_an_error() {
        let c = connection(&[1.0], vec![0.5, 0.5], 2);
        let err = Hebbian::new(0.1, 0.1).unwrap().learn(&c, &[1.0, 0.0, 1.0]).unwrap_err();
        assert!(matches!(err, EngineError::ShapeMismatch { .. }), "{err}");
    }

    #[test]
    fn rates_are_checked() {
        assert!(Hebbian::new(-0.1, 0.0).unwrap_err().to_string().contains("increase"));
        assert!(Hebbian::new(0.1, f64::NAN)
            .unwrap_err()
            .to_string()
            .contains("decrease"));
    }
}

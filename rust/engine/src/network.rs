//! A brain compiled for the engine: a sensor and groups in compute order, stepped without
//! leaving Rust.
use crate::activity::read;
use crate::error::{EngineError, Result};
use crate::group::Group;
use crate::parallel;
use crate::pipeline::{self, Mode};
use crate::recording::record_into;
use crate::sensor::{Inputs, Sensor};

/// The sensor (when built in) and the groups of a brain, in the order they compute.
///
/// A step is: feed the sensor, compute every group in order, then (when learning) let
/// every group learn in order; the same functions serve single steps and whole runs, so
/// both give bit-identical results.
#[derive(Debug)]
pub struct Network {
    sensor: Option<Sensor>,
    groups: Vec<Group>,
}

impl Network {
    pub fn new(sensor: Option<Sensor>, groups: Vec<Group>) -> Result<Self> {
        if let Some(Sensor {
            encoder: Some(encoder),
            output,
        }) = &sensor
        {
            let size = read(output).size();
            if size != encoder.length() {
                return Err(EngineError::ShapeMismatch {
                    what: "sensor output".into(),
                    expected: vec![encoder.length()],
                    found: vec![size],
                });
            }
        }
        Ok(Network { sensor, groups })
    }

    /// Whether the network holds a sensor buffer (patterns can be run).
    pub fn has_sensor(&self) -> bool {
        self.sensor.is_some()
    }

    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// Checks that the sensor accepts `value`, without changing anything.
    pub fn check_value(&self, value: f64) -> Result<()> {
        match &self.sensor {
            Some(s) => s.check_value(value),
            None => Ok(()),
        }
    }

    /// Encodes `value` into the sensor's output (a bad value leaves it unchanged).
    pub fn feed(&self, value: f64) -> Result<()> {
        let sensor = self
            .sensor
            .as_ref()
            .ok_or_else(|| EngineError::InvalidValue("this network has no built-in sensor".into()))?;
        sensor.feed(value)
    }

    /// Checks, without changing anything, that every built-in computation can run on its
    /// group (k-winners asking for more units than a group has fails here, before any
    /// group's activity changes).
    pub fn check_groups(&self) -> Result<()> {
        for group in &self.groups {
            if let Some(computation) = &group.computation {
                computation.winners(group.size())?;
            }
        }
        Ok(())
    }

    /// Computes group `i` with its built-in computation.
    pub fn compute_group(&mut self, i: usize) -> Result<()> {
        self.group_mut(i)?.compute()
    }

    /// Lets group `i` learn with its built-in learning rule (nothing when it has none).
    pub fn learn_group(&mut self, i: usize) -> Result<()> {
        self.group_mut(i)?.learn()
    }

    /// Writes group `i`'s activity as booleans (non-zero) into `out`.
    pub fn record_group(&self, i: usize, out: &mut [bool]) -> Result<()> {
        let group = self.groups.get(i).ok_or_else(|| no_group(i, self.groups.len()))?;
        record_into(group, out)
    }

    /// Runs one step per value: feed, compute every group, learn every group (when `learn`).
    /// Every part must be built in. `record[i]`, when given, receives group i's activity of
    /// every step (steps x units, row-major). Every value is checked before the first step,
    /// so a bad value changes nothing. After each whole step `keep_going(steps_done)` may
    /// stop the run; the number of steps done is returned. It is called on the calling
    /// thread, also when the first group runs a step ahead on another (see the `pipeline`
    /// module and `PROTOBRAIN_PIPELINE`), which changes no result.
    pub fn run(
        &mut self,
        values: &[f64],
        learn: bool,
        record: &mut [Option<&mut [bool]>],
        keep_going: impl FnMut(usize) -> bool,
    ) -> Result<usize> {
        self.run_in(Mode::from_env(), Inputs::Values(values), learn, record, keep_going)
    }

    /// [`run`](Self::run) with the sensor's output given whole for every step rather than
    /// encoded from values: step `t` shows the sensor units where
    /// `patterns[t * width..(t + 1) * width]` is true. `width` must be the sensor's size
    /// and the length of `patterns` a multiple of it; the sensor needs no encoder.
    pub fn run_patterns(
        &mut self,
        patterns: &[bool],
        width: usize,
        learn: bool,
        record: &mut [Option<&mut [bool]>],
        keep_going: impl FnMut(usize) -> bool,
    ) -> Result<usize> {
        let inputs = Inputs::Patterns { bits: patterns, width };
        self.run_in(Mode::from_env(), inputs, learn, record, keep_going)
    }

    /// [`run`](Self::run) with the pipelining `mode` given rather than read from the
    /// environment.
    pub(crate) fn run_in(
        &mut self,
        mode: Mode,
        inputs: Inputs<'_>,
        learn: bool,
        record: &mut [Option<&mut [bool]>],
        keep_going: impl FnMut(usize) -> bool,
    ) -> Result<usize> {
        let Some(sensor) = &self.sensor else {
            return Err(EngineError::InvalidValue("this network has no sensor".into()));
        };
        if let Some(i) = self
            .groups
            .iter()
            .position(|g| g.computation.is_none() && !g.is_sequence())
        {
            return Err(EngineError::InvalidParameter {
                name: "computation",
                message: format!("group {i} has no built-in computation"),
            });
        }
        if record.len() > self.groups.len() {
            return Err(no_group(record.len() - 1, self.groups.len()));
        }
        for (i, slot) in record.iter().enumerate() {
            if let Some(buf) = slot {
                let want = inputs.len() * self.groups[i].size();
                if buf.len() != want {
                    return Err(EngineError::ShapeMismatch {
                        what: format!("recording buffer of group {i}"),
                        expected: vec![want],
                        found: vec![buf.len()],
                    });
                }
            }
        }
        sensor.check(inputs)?;
        self.check_groups()?;
        // One set of helper threads for the whole run rather than new ones per kernel.
        parallel::with_team(|| pipeline::run(mode, sensor, &mut self.groups, inputs, learn, record, keep_going))
    }

    fn group_mut(&mut self, i: usize) -> Result<&mut Group> {
        let n = self.groups.len();
        self.groups.get_mut(i).ok_or_else(|| no_group(i, n))
    }
}

fn no_group(i: usize, n: usize) -> EngineError {
    EngineError::Index(format!("group {i} does not exist; the network has {n} groups"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::{write, Activity};
    use crate::computation::Computation;
    use crate::connection::Connection;
    use crate::encoders::{EncoderKind, NumericalEncoder};
    use crate::learning::Hebbian;
    use crate::pipeline::Mode;
    use crate::sensor::Inputs;
    use crate::source::Source;
    use crate::test_random::uniform;
    use crate::weights::Weights;
    use std::sync::Arc;

    fn network() -> Network {
        let sensor_out = Activity::zeros(&[20]).unwrap().shared();
        let encoder = NumericalEncoder::new(EncoderKind::Cyclic, 0.0, 10.0, 20, 0.2).unwrap();
        let mut seed = 1u64;
        let mut weights =
            |pre: usize, post: usize| Weights::from_vec(pre, post, uniform(&mut seed, pre * post)).unwrap();
        let mut groups = Vec::new();
        let mut source = Source::Whole(sensor_out.clone());
        for size in [8, 6] {
            let out = Activity::zeros(&[size]).unwrap().shared();
            let conn = Arc::new(
                Connection::new(
                    source,
                    vec![size],
                    weights(if groups.is_empty() { 20 } else { 8 }, size),
                )
                .unwrap(),
            );
            let g = Group::from_parts(
                out.clone(),
                vec![("main".into(), conn)],
                Some(Computation::k_winners(2).unwrap()),
                Some(Hebbian::new(0.05, 0.01).unwrap()),
            )
            .unwrap();
            groups.push(g);
            source = Source::Whole(out);
        }
        Network::new(
            Some(Sensor {
                encoder: Some(encoder),
                output: sensor_out,
            }),
            groups,
        )
        .unwrap()
    }

    #[test]
    fn run_equals_single_steps() {
        let values: Vec<f64> = (0..30).map(|i| (i % 11) as f64).collect();
        let mut a = network();
        let mut rec0 = vec![false; 30 * 8];
        let mut rec1 = vec![false; 30 * 6];
        let done = a
            .run(&values, true, &mut [Some(&mut rec0), Some(&mut rec1)], |_| true)
            .unwrap();
        assert_eq!(done, 30);
        let mut b = network();
        for (step, &v) in values.iter().enumerate() {
            b.feed(v).unwrap();
            b.compute_group(0).unwrap();
            b.compute_group(1).unwrap();
            b.learn_group(0).unwrap();
            b.learn_group(1).unwrap();
            let mut now = vec![false; 6];
            b.record_group(1, &mut now).unwrap();
            assert_eq!(&rec1[step * 6..(step + 1) * 6], &now[..], "step {step}");
        }
        for (ga, gb) in a.groups().iter().zip(b.groups()) {
            let wa = ga.connections()[0].weights_mut().to_dense().unwrap().to_vec();
            assert_eq!(wa, gb.connections()[0].weights_mut().to_dense().unwrap());
        }
    }

    /// A network ending in a sequence memory over the last group's units: a run equals
    /// single steps, memory included, pipelined or not.
    #[test]
    fn a_sequence_memory_group_runs_like_single_steps() {
        use crate::sequence::{self, SequenceMemory, SequenceParams};
        let with_memory = || {
            let mut n = network();
            let params = SequenceParams {
                columns: 6,
                cells_per_column: 3,
                activation_threshold: 1,
                min_threshold: 1,
                initial_permanence: 0.6,
                connected_permanence: 0.5,
                permanence_increment: 0.1,
                permanence_decrement: 0.05,
                predicted_segment_decrement: 0.01,
                max_new_synapses: 2,
                max_segments_per_cell: 4,
                max_synapses_per_segment: 4,
                seed: 5,
            };
            let memory = Arc::new(std::sync::Mutex::new(SequenceMemory::new(params).unwrap()));
            let out = Activity::zeros(&[6, 3]).unwrap().shared();
            let source = n.groups[1].as_source();
            n.groups
                .push(Group::from_sequence(out, source, memory.clone()).unwrap());
            (n, memory)
        };
        let values: Vec<f64> = (0..40).map(|i| (i % 5) as f64 * 2.0).collect();
        let (mut a, memory_a) = with_memory();
        let mut rec = vec![false; 40 * 18];
        for mode in [Mode::Off, Mode::On] {
            let (mut c, _) = with_memory();
            let mut other = vec![false; 40 * 18];
            let inputs = Inputs::Values(&values);
            c.run_in(mode, inputs, true, &mut [None, None, Some(&mut other)], |_| true)
                .unwrap();
            if mode == Mode::Off {
                rec = other;
            } else {
                assert_eq!(rec, other, "pipelined");
            }
        }
        let (mut b, memory_b) = with_memory();
        for (step, &v) in values.iter().enumerate() {
            b.feed(v).unwrap();
            for i in 0..3 {
                b.compute_group(i).unwrap();
            }
            for i in 0..3 {
                b.learn_group(i).unwrap();
            }
            let mut now = vec![false; 18];
            b.record_group(2, &mut now).unwrap();
            assert_eq!(&rec[step * 18..(step + 1) * 18], &now[..], "step {step}");
        }
        a.run(&values, true, &mut [], |_| true).unwrap();
        assert_eq!(sequence::lock(&memory_a).state(), sequence::lock(&memory_b).state());
        assert!(sequence::lock(&memory_a).size().0 > 0, "the memory learned");
        // The memory's main input must have one unit per column.
        let wrong = Group::from_sequence(
            Activity::zeros(&[6, 3]).unwrap().shared(),
            a.groups[0].as_source(),
            memory_a.clone(),
        );
        assert!(wrong.unwrap_err().to_string().contains("one unit per column"));
    }

    #[test]
    fn recording_reports_every_nonzero_value() {
        let n = network();
        let mut out = vec![true; 8];
        let values = [0.0, -0.0, 0.5, 1.0, -2.0, 0.0, f64::NAN, 0.0];
        write(n.groups()[0].output()).values_mut().copy_from_slice(&values);
        n.record_group(0, &mut out).unwrap();
        assert_eq!(out, [false, false, true, true, true, false, true, false]);
        write(n.groups()[0].output()).set_ones([5]).unwrap();
        n.record_group(0, &mut out).unwrap();
        assert_eq!(out, [false, false, false, false, false, true, false, false]);
        assert!(n.record_group(0, &mut [false; 3]).is_err());
    }

    #[test]
    fn too_many_winners_fails_before_any_group_changes() {
        let mut n = network();
        n.groups[1].computation = Some(Computation::k_winners(7).unwrap());
        let err = n.run(&[1.0], true, &mut [], |_| true).unwrap_err();
        assert!(err.to_string().contains('7'), "{err}");
        assert!(read(n.groups()[0].output()).values().iter().all(|&v| v == 0.0));
    }

    #[test]
    fn a_bad_value_stops_the_run_before_it_starts_and_stop_requests_are_honoured() {
        let mut n = network();
        let err = n.run(&[1.0, 2.0, 11.0], true, &mut [], |_| true).unwrap_err();
        assert!(
            err.to_string().contains("11") && err.to_string().ends_with("(at position 2)"),
            "{err}"
        );
        assert!(read(n.groups()[0].output()).values().iter().all(|&v| v == 0.0));
        assert_eq!(n.run(&[1.0, 2.0, 3.0], true, &mut [], |done| done < 2).unwrap(), 2);
    }

    #[test]
    fn values_are_checked_by_the_sensor_when_there_is_one() {
        let with = network();
        assert!(with.has_sensor());
        assert!(with.check_value(5.0).is_ok());
        let err = with.check_value(11.0).unwrap_err().to_string();
        assert!(err.contains("11") && !err.contains("position"), "{err}");
        let mut without = Network::new(None, Vec::new()).unwrap();
        assert!(!without.has_sensor());
        assert!(without.check_value(11.0).is_ok());
        assert!(without.run_patterns(&[], 20, true, &mut [], |_| true).is_err());
    }

    #[test]
    fn patterns_run_like_the_values_they_encode() {
        let values: Vec<f64> = (0..12).map(|i| (i % 11) as f64).collect();
        let encoded = network();
        let mut patterns = Vec::new();
        for &v in &values {
            encoded.feed(v).unwrap();
            let sensor = &encoded.sensor.as_ref().unwrap().output;
            patterns.extend(read(sensor).values().iter().map(|&x| x != 0.0));
        }
        let (mut a, mut b) = (network(), network());
        let (mut rec_a, mut rec_b) = (vec![false; 12 * 6], vec![false; 12 * 6]);
        let done = a.run(&values, true, &mut [None, Some(&mut rec_a)], |_| true).unwrap();
        assert_eq!(done, 12);
        let done = b.run_patterns(&patterns, 20, true, &mut [None, Some(&mut rec_b)], |_| true);
        assert_eq!(done.unwrap(), 12);
        assert_eq!(rec_a, rec_b);
        assert!(b.run_patterns(&patterns[..25], 20, true, &mut [], |_| true).is_err());
        // Rows of another width are refused even when their bits would fill whole steps.
        assert!(b.run_patterns(&patterns[..40], 10, true, &mut [], |_| true).is_err());
    }

    #[test]
    fn a_recording_buffer_past_the_last_group_is_named_in_the_error() {
        let mut n = network();
        let (mut a, mut b, mut c) = (vec![false; 8], vec![false; 6], vec![false; 6]);
        let err = n
            .run(&[1.0], true, &mut [Some(&mut a), None, Some(&mut c)], |_| true)
            .unwrap_err();
        assert_eq!(err.to_string(), "group 2 does not exist; the network has 2 groups");
        let err = n
            .run(&[1.0], true, &mut [None, Some(&mut b), None, None], |_| true)
            .unwrap_err();
        assert_eq!(err.to_string(), "group 3 does not exist; the network has 2 groups");
        assert!(read(n.groups()[0].output()).values().iter().all(|&v| v == 0.0));
    }
}

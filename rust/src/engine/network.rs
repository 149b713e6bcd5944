//! A brain compiled for the engine: a sensor and groups in compute order, stepped without
//! leaving Rust.
use super::activity::{read, write, SharedActivity};
use super::encode::NumericalEncoder;
use super::error::{EngineError, Result};
use super::group::Group;
use super::pipeline::{self, Mode, Timing, PROBE_STEPS};

/// A sensor whose encoder is a built-in numerical encoder.
#[derive(Debug)]
pub struct Sensor {
    pub encoder: NumericalEncoder,
    pub output: SharedActivity,
}

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
        if let Some(s) = &sensor {
            let size = read(&s.output).size();
            if size != s.encoder.length() {
                return Err(EngineError::ShapeMismatch {
                    what: "sensor output".into(),
                    expected: vec![s.encoder.length()],
                    found: vec![size],
                });
            }
        }
        Ok(Network { sensor, groups })
    }

    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// Checks that the sensor accepts `value`, without changing anything.
    pub fn check_value(&self, value: f64) -> Result<()> {
        match &self.sensor {
            Some(s) => s.encoder.start(value).map(|_| ()),
            None => Ok(()),
        }
    }

    /// Encodes `value` into the sensor's output (a bad value leaves it unchanged).
    pub fn feed(&self, value: f64) -> Result<()> {
        let sensor = self
            .sensor
            .as_ref()
            .ok_or_else(|| EngineError::InvalidValue("this network has no built-in sensor".into()))?;
        sensor.encoder.encode_into(value, &mut write(&sensor.output))
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
        self.run_in(Mode::from_env(), values, learn, record, keep_going)
    }

    /// [`run`](Self::run) with the pipelining `mode` given rather than read from the
    /// environment.
    pub(crate) fn run_in(
        &mut self,
        mode: Mode,
        values: &[f64],
        learn: bool,
        record: &mut [Option<&mut [bool]>],
        keep_going: impl FnMut(usize) -> bool,
    ) -> Result<usize> {
        if self.sensor.is_none() {
            return Err(EngineError::InvalidValue("this network has no built-in sensor".into()));
        }
        if let Some(i) = self.groups.iter().position(|g| g.computation.is_none()) {
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
                let want = values.len() * self.groups[i].size();
                if buf.len() != want {
                    return Err(EngineError::ShapeMismatch {
                        what: format!("recording buffer of group {i}"),
                        expected: vec![want],
                        found: vec![buf.len()],
                    });
                }
            }
        }
        for (i, &v) in values.iter().enumerate() {
            self.check_value(v).map_err(|err| match err {
                EngineError::InvalidValue(message) => EngineError::InvalidValue(format!("{message} (at position {i})")),
                other => other,
            })?;
        }
        self.check_groups()?;
        // One set of helper threads for the whole run rather than new ones per kernel.
        super::parallel::with_team(|| self.steps(values, learn, record, keep_going, mode))
    }

    /// The steps of a run. Long runs of networks whose kernels are too small to split
    /// take a few steps one at a time, timing them, then may go on with the first group a
    /// step ahead on a second core (see the `pipeline` module); the results are the same.
    /// When that does not pay, or stops paying, serial steps follow for a while
    /// ([`pipeline::RETRY_AFTER`] steps, doubling each time unless the pipeline paid for
    /// at least as long as the last stretch) before the next probe.
    fn steps(
        &mut self,
        values: &[f64],
        learn: bool,
        record: &mut [Option<&mut [bool]>],
        mut keep_going: impl FnMut(usize) -> bool,
        mode: Mode,
    ) -> Result<usize> {
        let probe = match mode {
            Mode::Off => values.len(),
            Mode::On => 1,
            Mode::Auto => PROBE_STEPS,
        };
        let long_enough = match mode {
            Mode::Auto => values.len() >= PROBE_STEPS + pipeline::MIN_STEPS,
            _ => values.len() > probe,
        };
        if !long_enough || !pipeline::possible(self.sensor.as_ref(), &self.groups) {
            return Ok(self.serial(values, 0, learn, record, &mut keep_going, None)?.0);
        }
        let mut done = 0;
        let mut serial_for = pipeline::RETRY_AFTER;
        loop {
            let mut timing = Timing::start();
            let probe_end = (done + probe).min(values.len());
            let stopped;
            (done, stopped) = self.serial(
                &values[..probe_end],
                done,
                learn,
                record,
                &mut keep_going,
                Some(&mut timing),
            )?;
            if stopped {
                return Ok(done);
            }
            let left = values.len() - done;
            if left == 0 || (mode == Mode::Auto && left < pipeline::MIN_STEPS) {
                break;
            }
            if let (Some(sensor), true) = (&self.sensor, mode == Mode::On || timing.worth_it()) {
                let steps = pipeline::Steps {
                    values,
                    start: done,
                    learn,
                };
                let started = done;
                let end;
                (done, end) = pipeline::run(sensor, &mut self.groups, steps, record, &mut keep_going, &timing)?;
                if end != pipeline::End::Slow {
                    return Ok(done);
                }
                if done - started >= serial_for {
                    // It paid for longer than the last serial stretch: the machine was
                    // busy for a moment, not for good.
                    serial_for = pipeline::RETRY_AFTER;
                }
            }
            // Not worth it now, or the pipeline turned out slower (the machine got busy):
            // serial steps for a while, then a new probe; a while that doubles each time,
            // so a machine that stays busy costs ever fewer probes.
            let until = (done + serial_for).min(values.len());
            let stopped;
            (done, stopped) = self.serial(&values[..until], done, learn, record, &mut keep_going, None)?;
            if stopped || done == values.len() {
                return Ok(done);
            }
            serial_for = serial_for.saturating_mul(2);
        }
        Ok(self.serial(values, done, learn, record, &mut keep_going, None)?.0)
    }

    /// Steps `start..values.len()` of a run, one whole step at a time, timing them into
    /// `timing` when given. Returns the number of steps done and whether `keep_going`
    /// stopped the run.
    fn serial(
        &mut self,
        values: &[f64],
        start: usize,
        learn: bool,
        record: &mut [Option<&mut [bool]>],
        keep_going: &mut impl FnMut(usize) -> bool,
        mut timing: Option<&mut Timing>,
    ) -> Result<(usize, bool)> {
        for (step, &value) in values.iter().enumerate().skip(start) {
            if let Some(t) = timing.as_deref_mut() {
                t.step_begins();
            }
            self.feed(value)?;
            for i in 0..self.groups.len() {
                self.compute_group(i)?;
                if i == 0 {
                    if let Some(t) = timing.as_deref_mut() {
                        t.first_group_done();
                    }
                }
            }
            if learn {
                for i in 0..self.groups.len() {
                    self.learn_group(i)?;
                }
            }
            record_step(&self.groups, record, step)?;
            if let Some(t) = timing.as_deref_mut() {
                t.step_ends();
            }
            if !keep_going(step + 1) {
                return Ok((step + 1, true));
            }
        }
        Ok((values.len(), false))
    }

    fn group_mut(&mut self, i: usize) -> Result<&mut Group> {
        let n = self.groups.len();
        self.groups.get_mut(i).ok_or_else(|| no_group(i, n))
    }
}

/// Writes each group's activity into row `step` of its recording (`record[i]` for
/// `groups[i]`, when given; steps x units, row-major).
pub(crate) fn record_step(groups: &[Group], record: &mut [Option<&mut [bool]>], step: usize) -> Result<()> {
    for (group, slot) in groups.iter().zip(record.iter_mut()) {
        if let Some(buf) = slot {
            let size = group.size();
            record_into(group, &mut buf[step * size..(step + 1) * size])?;
        }
    }
    Ok(())
}

/// Writes `group`'s activity as booleans (non-zero) into `out`.
fn record_into(group: &Group, out: &mut [bool]) -> Result<()> {
    let activity = read(group.output());
    if out.len() != activity.size() {
        return Err(EngineError::ShapeMismatch {
            what: "recording buffer".into(),
            expected: vec![activity.size()],
            found: vec![out.len()],
        });
    }
    out.fill(false);
    activity.for_each_nonzero(|i, _| out[i] = true);
    Ok(())
}

fn no_group(i: usize, n: usize) -> EngineError {
    EngineError::Index(format!("group {i} does not exist; the network has {n} groups"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::test_random::uniform;
    use crate::engine::{Activity, Computation, EncoderKind, Hebbian, Source, Weights};
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
                crate::engine::Connection::new(
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
                encoder,
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
            let wa = ga.connections()[0].weights_mut().as_slice().to_vec();
            assert_eq!(wa, gb.connections()[0].weights_mut().as_slice());
        }
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

    /// The wirings the pipeline tests use, beyond a plain feed-forward stack.
    #[derive(Clone, Copy, PartialEq)]
    enum Wiring {
        FeedForward,
        /// Every layer also reads its own output (the first group included).
        LoopBack,
        /// The second layer also reads the third.
        LaterFeedback,
        /// The first layer also reads the second (cannot be pipelined).
        FirstReadsSecond,
        /// The second layer also reads the sensor (cannot be pipelined).
        SensorTwice,
    }

    fn wired(wiring: Wiring) -> Network {
        let mut seed = 11u64;
        let sensor_out = Activity::zeros(&[40]).unwrap().shared();
        let encoder = NumericalEncoder::new(EncoderKind::Cyclic, 0.0, 100.0, 40, 0.1).unwrap();
        let mut layers: Vec<Group> = [12, 9, 7].iter().map(|&n| Group::new(&[n]).unwrap()).collect();
        let mut weights = crate::engine::test_support::lcg_weights(&mut seed);
        layers[0]
            .set("main", Source::Whole(sensor_out.clone()), weights(40, 12).unwrap())
            .unwrap();
        crate::engine::feed_forward(&mut layers, "main", &mut weights).unwrap();
        match wiring {
            Wiring::LoopBack => crate::engine::loop_back(&mut layers, "self", &mut weights).unwrap(),
            Wiring::LaterFeedback => {
                let source = layers[2].as_source();
                layers[1].set("back", source, weights(7, 9).unwrap()).unwrap();
            }
            Wiring::FirstReadsSecond => {
                let source = layers[1].as_source();
                layers[0].set("back", source, weights(9, 12).unwrap()).unwrap();
            }
            Wiring::SensorTwice => {
                layers[1]
                    .set("sensor", Source::Whole(sensor_out.clone()), weights(40, 9).unwrap())
                    .unwrap();
            }
            Wiring::FeedForward => {}
        }
        for (layer, k) in layers.iter_mut().zip([3, 2, 2]) {
            layer.computation = Some(Computation::k_winners(k).unwrap());
            layer.learning = Some(Hebbian::new(0.05, 0.01).unwrap());
        }
        Network::new(
            Some(Sensor {
                encoder,
                output: sensor_out,
            }),
            layers,
        )
        .unwrap()
    }

    /// Everything a run leaves that a user can see: outputs, sensor, every weight.
    fn state(n: &Network) -> (Vec<Vec<f64>>, Vec<f64>, Vec<Vec<f64>>) {
        let outputs = n.groups().iter().map(|g| read(g.output()).values().to_vec()).collect();
        let sensor = read(&n.sensor.as_ref().unwrap().output).values().to_vec();
        let weights = n
            .groups()
            .iter()
            .flat_map(|g| g.connections())
            .map(|c| c.weights_mut().as_slice().to_vec())
            .collect();
        (outputs, sensor, weights)
    }

    fn recorded(n: &mut Network, mode: Mode, values: &[f64], learn: bool, stop_at: usize) -> (usize, Vec<Vec<bool>>) {
        let sizes: Vec<usize> = n.groups().iter().map(|g| g.size()).collect();
        let mut bufs: Vec<Vec<bool>> = sizes.iter().map(|&s| vec![false; s * values.len()]).collect();
        let mut slots: Vec<Option<&mut [bool]>> = bufs.iter_mut().map(|b| Some(&mut b[..])).collect();
        let done = n
            .run_in(mode, values, learn, &mut slots, |done| done < stop_at)
            .unwrap();
        (done, bufs)
    }

    #[test]
    fn pipelined_runs_equal_serial_runs() {
        let values: Vec<f64> = (0..300).map(|i| ((i * 7) % 101) as f64).collect();
        for wiring in [Wiring::FeedForward, Wiring::LoopBack, Wiring::LaterFeedback] {
            for learn in [true, false] {
                let (mut a, mut b) = (wired(wiring), wired(wiring));
                assert!(pipeline::possible(a.sensor.as_ref(), a.groups()));
                let (done_a, rec_a) = recorded(&mut a, Mode::On, &values, learn, usize::MAX);
                let (done_b, rec_b) = recorded(&mut b, Mode::Off, &values, learn, usize::MAX);
                assert_eq!((done_a, done_b), (300, 300));
                assert!(rec_a == rec_b, "recordings differ");
                assert!(state(&a) == state(&b), "final states differ");
            }
        }
    }

    #[test]
    fn a_pipelined_run_stops_after_the_whole_step_it_was_told_to() {
        let values: Vec<f64> = (0..120).map(|i| ((i * 13) % 97) as f64).collect();
        let cases = [1, 2, 3, 17, 119, 120].map(|s| (Mode::On, s));
        let at_the_probe = [PROBE_STEPS - 1, PROBE_STEPS, PROBE_STEPS + 1].map(|s| (Mode::Auto, s));
        for (mode, stop_at) in cases.into_iter().chain(at_the_probe) {
            let mut a = wired(Wiring::LoopBack);
            let (done, rec) = recorded(&mut a, mode, &values, true, stop_at);
            assert_eq!(done, stop_at);
            let mut b = wired(Wiring::LoopBack);
            let (_, rec_b) = recorded(&mut b, Mode::Off, &values[..stop_at], true, usize::MAX);
            assert!(state(&a) == state(&b), "stopped at {stop_at}: states differ");
            for (x, y) in rec.iter().zip(&rec_b) {
                assert_eq!(&x[..y.len()], &y[..], "stopped at {stop_at}");
                assert!(x[y.len()..].iter().all(|&v| !v), "steps after the stop were recorded");
            }
            // And it goes on from there as if it had never stopped.
            a.run_in(Mode::On, &values[stop_at..], true, &mut [], |_| true).unwrap();
            b.run_in(Mode::Off, &values[stop_at..], true, &mut [], |_| true)
                .unwrap();
            assert!(state(&a) == state(&b), "resumed after {stop_at}: states differ");
        }
    }

    #[test]
    fn networks_whose_first_group_depends_on_the_others_are_not_pipelined() {
        for wiring in [Wiring::FirstReadsSecond, Wiring::SensorTwice] {
            let n = wired(wiring);
            assert!(!pipeline::possible(n.sensor.as_ref(), n.groups()));
            // Asking for it anyway runs serially, with the same results.
            let values: Vec<f64> = (0..50).map(|i| i as f64).collect();
            let (mut a, mut b) = (wired(wiring), wired(wiring));
            let (_, rec_a) = recorded(&mut a, Mode::On, &values, true, usize::MAX);
            let (_, rec_b) = recorded(&mut b, Mode::Off, &values, true, usize::MAX);
            assert!(rec_a == rec_b && state(&a) == state(&b));
        }
        let single = {
            let mut n = wired(Wiring::FeedForward);
            n.groups.truncate(1);
            n
        };
        assert!(!pipeline::possible(single.sensor.as_ref(), single.groups()));
    }

    #[test]
    fn a_run_whose_pipeline_turns_slow_goes_on_serially_and_tries_again() {
        use pipeline::tests_only::{CLAIM, PAYS_BETWEEN, STARTED};
        use std::time::Duration;
        // Probes that claim serial steps take no time: each pipeline ends slow after its
        // warm-up (probe 32 steps, pipeline 384, so at 416), then serial steps (1024, 2048,
        // ...), then a new probe. Or probes that say the pipeline does not pay. Windows
        // ending in `from..to` are not slow: a pipeline then pays until the first two after.
        let cases = [
            // (pipeline pays, steps, stop after, (from, to), pipelines started)
            (true, 6000, usize::MAX, (0, 0), 3), // ends at 416, 1856, 4320
            (false, 3000, usize::MAX, (0, 0), 0),
            (true, 1500, usize::MAX, (0, 0), 1), // 28 steps left after the second probe: serial
            (true, 6000, 1000, (0, 0), 1),       // stopped in the serial stretch
            (true, 6000, 1460, (0, 0), 1),       // stopped in the second probe
            (true, 6000, 1700, (0, 0), 2),       // stopped in the second pipeline
            // The second pipeline (from 1472) pays until 4096, longer than the serial
            // stretch of 2048 it would face: the stretch is back to 1024, a third
            // pipeline starts at 5152.
            (true, 6000, usize::MAX, (1472, 4000), 3),
            // It pays until 3072 only: the stretch is 2048, the run ends in it.
            (true, 5000, usize::MAX, (1472, 3000), 2),
        ];
        for (pays, steps, stop_at, paying, started) in cases {
            let values: Vec<f64> = (0..steps).map(|i| ((i * 7) % 89) as f64).collect();
            let (mut a, mut b) = (wired(Wiring::LoopBack), wired(Wiring::LoopBack));
            CLAIM.set(Some((pays, Duration::ZERO)));
            PAYS_BETWEEN.set(paying);
            STARTED.set(0);
            let (done_a, rec_a) = recorded(&mut a, Mode::Auto, &values, true, stop_at);
            CLAIM.set(None);
            PAYS_BETWEEN.set((0, 0));
            let case = format!("pays {pays}, {steps} steps, stop after {stop_at}, pays in {paying:?}");
            assert_eq!(STARTED.get(), started, "pipelines started: {case}");
            assert_eq!(done_a, steps.min(stop_at), "{case}");
            let (_, rec_b) = recorded(&mut b, Mode::Off, &values[..done_a], true, usize::MAX);
            for (x, y) in rec_a.iter().zip(&rec_b) {
                assert_eq!(&x[..y.len()], &y[..], "recordings differ: {case}");
            }
            assert!(state(&a) == state(&b), "final states differ: {case}");
        }
    }

    #[test]
    fn a_pipeline_slower_than_serial_steps_hands_over_to_them_at_a_whole_step() {
        let values: Vec<f64> = (0..1000).map(|i| ((i * 3) % 89) as f64).collect();
        let mut a = wired(Wiring::LoopBack);
        let sizes: Vec<usize> = a.groups().iter().map(|g| g.size()).collect();
        let mut bufs: Vec<Vec<bool>> = sizes.iter().map(|&s| vec![false; s * values.len()]).collect();
        let mut slots: Vec<Option<&mut [bool]>> = bufs.iter_mut().map(|b| Some(&mut b[..])).collect();
        let mut go = |_| true;
        let (done, _) = a.serial(&values[..1], 0, true, &mut slots, &mut go, None).unwrap();
        // A probe that claims serial steps take no time: every judged window is too slow.
        pipeline::tests_only::CLAIM.set(Some((true, std::time::Duration::ZERO)));
        let timing = Timing::start();
        let sensor = a.sensor.as_ref().unwrap();
        let steps = pipeline::Steps {
            values: &values,
            start: done,
            learn: true,
        };
        let (done, end) = pipeline::run(sensor, &mut a.groups, steps, &mut slots, &mut go, &timing).unwrap();
        pipeline::tests_only::CLAIM.set(None);
        assert_eq!(end, pipeline::End::Slow);
        assert_eq!(done, 1 + (pipeline::WARM_UP + 2) * pipeline::WINDOW);
        let (done, stopped) = a.serial(&values, done, true, &mut slots, &mut go, None).unwrap();
        assert_eq!((done, stopped), (1000, false));
        drop(slots);
        let mut b = wired(Wiring::LoopBack);
        let (_, rec_b) = recorded(&mut b, Mode::Off, &values, true, usize::MAX);
        assert!(bufs == rec_b, "recordings differ");
        assert!(state(&a) == state(&b), "final states differ");
    }
}

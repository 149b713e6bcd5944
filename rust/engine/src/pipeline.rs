//! A run on two cores for networks too small to split their kernels: the first group works
//! out step `t + 1` on a second thread while the other groups finish step `t`.
//!
//! A step is: feed the sensor, compute every group in order, let every group learn in
//! order. Only the first group reads the sensor, so feeding step `t + 1` and working out
//! which of the first group's units fire (its *fire*: the activation and the winners, kept
//! in the group's own buffers) need nothing the other groups do in step `t`. Its output
//! is another matter: the other groups read it during step `t`, so the first group
//! *publishes* step `t + 1` (sets its output, learns, records) only once they are done.
//! The other groups then take step `t + 1` from there, in order, as in a serial run.
//!
//! Every group computes and learns from exactly what it would read in a serial run, in the
//! same order, so results are bit-identical (the first group learning before the others
//! compute changes nothing: learning touches only its own weights, which no other group
//! reads). Whether a run is pipelined is decided by timing, never by data, and it changes
//! no result.
//!
//! The pipeline starts only when timing says it pays and a core looks free, and hands back
//! to serial steps when it turns out slow (see [`Timing::worth_it`] and [`End::Slow`]);
//! the run probes again after a while ([`RETRY_AFTER`]).
//!
//! A stop (a `keep_going` that says no, an error) is honoured at a whole step: the first
//! group publishes step `t + 1` only after the others finished step `t` and were told to go
//! on; otherwise it puts the sensor back as step `t` left it (its fire changed nothing else
//! anyone can see).
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::error::Result;
use crate::group::Group;
use crate::parallel;
use crate::recording::record_step;
use crate::sensor::{Inputs, Sensor};

/// Whether runs may be pipelined: `PROTOBRAIN_PIPELINE` set to `off` (never), `on` (every
/// run that can be, from its second step, without timing), or anything else (`auto`, the
/// default: when timing says it pays). `PROTOBRAIN_THREADS=1` turns it off too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Auto,
    On,
    Off,
}

impl Mode {
    /// The mode `PROTOBRAIN_PIPELINE` asks for, `Off` when kernels may use one thread only
    /// (read once per process).
    pub fn from_env() -> Mode {
        static MODE: std::sync::OnceLock<Mode> = std::sync::OnceLock::new();
        *MODE.get_or_init(|| {
            Mode::parse(
                std::env::var("PROTOBRAIN_PIPELINE").ok().as_deref(),
                parallel::threads(),
            )
        })
    }

    /// The mode a `PROTOBRAIN_PIPELINE` value asks for with `threads` allowed.
    fn parse(value: Option<&str>, threads: usize) -> Mode {
        match value.map(str::trim) {
            _ if threads < 2 => Mode::Off,
            Some("off") => Mode::Off,
            Some("on") => Mode::On,
            _ => Mode::Auto,
        }
    }
}

/// Steps a run takes one at a time, timing them, before it decides how to take the rest.
const PROBE_STEPS: usize = 32;
/// The fewest steps after the probe for which starting a second thread is worth it.
const MIN_STEPS: usize = 64;
/// What handing a step from one core to the other costs (a few cache lines crossing,
/// about 0.3 us each on a small VM), added to the pipelined step's estimate.
const HANDOFF: Duration = Duration::from_micros(1);
/// A waiting thread spins this long (a few steps of a small network) before it sleeps
/// until woken, so that a busy machine gets the core back.
const SPIN: Duration = Duration::from_micros(20);
/// Serial steps a run takes after a probe that found the pipeline not worth it, or after
/// the pipeline turned out slow, before it probes again; doubled after each such turn,
/// and back to this after a pipeline that paid for at least as many steps as the last
/// serial stretch. A busy moment of the machine costs a long run a few thousand serial
/// steps, not the rest of the run, and a machine that stays busy costs ever fewer probes.
const RETRY_AFTER: usize = 1024;
/// Pipelined steps are timed in windows of this many; two windows in a row (after the
/// [`WARM_UP`] ones) much slower than the serial steps of the probe end the pipeline: the
/// machine is busier than when it was timed, and two threads waiting on each other suffer
/// most from that.
const WINDOW: usize = 64;
/// Windows not judged at the start of a pipeline.
const WARM_UP: usize = 4;

/// Whether a network may be pipelined at all: two groups or more, the sensor read by the
/// first group only, and the first group reading nothing the others write nor sharing a
/// connection or an output with them, and not a sequence memory (whose firing changes its
/// state, so it could not be a step ahead of a run that stops). (Whether a second thread is allowed is the
/// [`Mode`]'s business.)
fn possible(sensor: &Sensor, groups: &[Group]) -> bool {
    let Some((first, rest)) = groups.split_first() else {
        return false;
    };
    !rest.is_empty()
        && !first.is_sequence()
        && rest.iter().all(|g| {
            !g.reads(&sensor.output)
                && !first.reads(g.output())
                && !std::sync::Arc::ptr_eq(g.output(), first.output())
                && !first.shared_connections().any(|c| g.has_connection(c))
        })
        && !std::sync::Arc::ptr_eq(&sensor.output, first.output())
}

/// Takes every step of a run, `values` (feed `sensor`, compute every group in order, then
/// when `learn` let every group learn in order, record), and returns the number of steps
/// done; `keep_going(steps_done)` may stop it after any whole step. Every group must have
/// a built-in computation (the caller checked).
///
/// Long runs of networks whose kernels are too small to split take a few steps one at a
/// time, timing them ([`PROBE_STEPS`]), then may go on with the first group a step ahead on
/// a second core; the results are the same. When that does not pay, or stops paying,
/// serial steps follow for a while ([`RETRY_AFTER`] steps, doubling each time unless the
/// pipeline paid for at least as long as the last stretch) before the next probe.
pub(crate) fn run(
    mode: Mode,
    sensor: &Sensor,
    groups: &mut [Group],
    inputs: Inputs<'_>,
    learn: bool,
    record: &mut [Option<&mut [bool]>],
    mut keep_going: impl FnMut(usize) -> bool,
) -> Result<usize> {
    let all = Steps {
        inputs,
        start: 0,
        learn,
    };
    let probe = match mode {
        Mode::Off => inputs.len(),
        Mode::On => 1,
        Mode::Auto => PROBE_STEPS,
    };
    let long_enough = match mode {
        Mode::Auto => inputs.len() >= PROBE_STEPS + MIN_STEPS,
        _ => inputs.len() > probe,
    };
    if !long_enough || !possible(sensor, groups) {
        return Ok(serial(sensor, groups, all, record, &mut keep_going, None)?.0);
    }
    let mut done = 0;
    let mut serial_for = RETRY_AFTER;
    loop {
        let mut timing = Timing::start();
        let probe_end = (done + probe).min(inputs.len());
        let stopped;
        (done, stopped) = serial(
            sensor,
            groups,
            Steps {
                inputs: inputs.prefix(probe_end),
                start: done,
                learn,
            },
            record,
            &mut keep_going,
            Some(&mut timing),
        )?;
        if stopped {
            return Ok(done);
        }
        let left = inputs.len() - done;
        if left == 0 || (mode == Mode::Auto && left < MIN_STEPS) {
            break;
        }
        if mode == Mode::On || timing.worth_it() {
            let steps = Steps {
                inputs,
                start: done,
                learn,
            };
            let started = done;
            let end;
            (done, end) = pipelined(sensor, groups, steps, record, &mut keep_going, &timing)?;
            if end != End::Slow {
                return Ok(done);
            }
            if done - started >= serial_for {
                // It paid for longer than the last serial stretch: the machine was
                // busy for a moment, not for good.
                serial_for = RETRY_AFTER;
            }
        }
        // Not worth it now, or the pipeline turned out slower (the machine got busy):
        // serial steps for a while, then a new probe; a while that doubles each time,
        // so a machine that stays busy costs ever fewer probes.
        let until = (done + serial_for).min(inputs.len());
        let stopped;
        (done, stopped) = serial(
            sensor,
            groups,
            Steps {
                inputs: inputs.prefix(until),
                start: done,
                learn,
            },
            record,
            &mut keep_going,
            None,
        )?;
        if stopped || done == inputs.len() {
            return Ok(done);
        }
        serial_for = serial_for.saturating_mul(2);
    }
    let rest = Steps { start: done, ..all };
    Ok(serial(sensor, groups, rest, record, &mut keep_going, None)?.0)
}

/// Steps `steps.start..steps.values.len()` of a run, one whole step at a time on this
/// thread, timing them into `timing` when given. Returns the number of steps done and
/// whether `keep_going` stopped the run.
fn serial(
    sensor: &Sensor,
    groups: &mut [Group],
    steps: Steps<'_>,
    record: &mut [Option<&mut [bool]>],
    keep_going: &mut impl FnMut(usize) -> bool,
    mut timing: Option<&mut Timing>,
) -> Result<(usize, bool)> {
    let inputs = steps.inputs;
    for step in steps.start..inputs.len() {
        if let Some(t) = timing.as_deref_mut() {
            #[cfg(test)]
            tests_only::PROBED.set(tests_only::PROBED.get() + 1);
            t.step_begins();
        }
        sensor.feed_step(inputs, step)?;
        for (i, group) in groups.iter_mut().enumerate() {
            group.compute()?;
            if i == 0 {
                if let Some(t) = timing.as_deref_mut() {
                    t.first_group_done();
                }
            }
        }
        if steps.learn {
            for group in groups.iter_mut() {
                group.learn()?;
            }
        }
        record_step(groups, record, step)?;
        if let Some(t) = timing.as_deref_mut() {
            t.step_ends();
        }
        if !keep_going(step + 1) {
            return Ok((step + 1, true));
        }
    }
    Ok((inputs.len(), false))
}

/// Where the time of the probe's steps went.
#[derive(Debug)]
struct Timing {
    /// Feeding and computing the first group.
    first: Duration,
    /// Everything else.
    rest: Duration,
    steps: u32,
    /// [`parallel::splits`] when the probe began.
    splits: u64,
    step_start: Option<Instant>,
    first_done: Option<Instant>,
    /// The fewest runnable threads the system had at the probe's looks (see [`spare_core`]).
    runnable: Option<usize>,
}

impl Timing {
    fn start() -> Self {
        Timing {
            first: Duration::ZERO,
            rest: Duration::ZERO,
            steps: 0,
            splits: parallel::splits(),
            step_start: None,
            first_done: None,
            runnable: None,
        }
    }

    fn step_begins(&mut self) {
        self.step_start = Some(Instant::now());
    }

    fn first_group_done(&mut self) {
        self.first_done = Some(Instant::now());
    }

    fn step_ends(&mut self) {
        if let (Some(start), Some(first)) = (self.step_start.take(), self.first_done.take()) {
            let end = Instant::now();
            self.first += first - start;
            self.rest += end - first;
            self.steps += 1;
            if self.steps % 4 == 1 {
                // A few looks spread over the probe: a thread woken for a moment is
                // missed by one of them, a busy process by none.
                if let Some(n) = runnable_threads() {
                    self.runnable = Some(self.runnable.map_or(n, |m| m.min(n)));
                }
            }
        }
    }

    /// The mean time of a serial step in the probe.
    fn serial_step(&self) -> Duration {
        #[cfg(test)]
        if let Some((_, step)) = tests_only::CLAIM.get() {
            return step;
        }
        (self.first + self.rest) / self.steps.max(1)
    }

    /// Whether a pipelined run should beat a serial one by a fifth at least: no kernel was
    /// split over threads (those would compete for the cores), and the longer of the two
    /// halves plus a handoff is at most 80% of a whole step.
    fn worth_it(&self) -> bool {
        #[cfg(test)]
        if let Some((worth_it, _)) = tests_only::CLAIM.get() {
            return worth_it;
        }
        if self.steps == 0 || parallel::splits() != self.splits {
            return false;
        }
        let whole = self.first + self.rest;
        let pipelined = self.first.max(self.rest) + HANDOFF * self.steps;
        pipelined * 5 <= whole * 4 && spare_core(self.runnable)
    }
}

#[cfg(test)]
mod tests_only {
    use std::cell::Cell;
    use std::time::Duration;

    thread_local! {
        /// When set, every probe on this thread says whether the pipeline pays and that
        /// serial steps take this long (zero: every judged window of the pipeline is slow).
        pub(crate) static CLAIM: Cell<Option<(bool, Duration)>> = const { Cell::new(None) };
        /// Pipelines started on this thread.
        pub(crate) static STARTED: Cell<usize> = const { Cell::new(0) };
        /// Steps timed by probes on this thread.
        pub(crate) static PROBED: Cell<usize> = const { Cell::new(0) };
        /// No window ending at a step of the run in `from..to` is judged slow.
        pub(crate) static PAYS_BETWEEN: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
    }
}

/// Whether a core looked free for a second thread, given the fewest threads the system
/// had runnable (this one included) at a few looks. Two threads that wait on each other do
/// badly on a machine whose cores are all busy (other processes running brains, say):
/// each handoff may wait for the scheduler. On Linux the kernel says how many threads are
/// runnable (in `/proc/loadavg`); elsewhere, or when it cannot be read, the pipeline's own
/// timing is the only check.
fn spare_core(runnable: Option<usize>) -> bool {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    runnable.is_none_or(|running| running < cores)
}

/// The runnable threads of the whole system now: the numerator of the fourth field of
/// `/proc/loadavg` ("0.71 0.77 0.62 2/345 12345").
fn runnable_threads() -> Option<usize> {
    runnable_in(&std::fs::read_to_string("/proc/loadavg").ok()?)
}

fn runnable_in(loadavg: &str) -> Option<usize> {
    loadavg.split_whitespace().nth(3)?.split('/').next()?.parse().ok()
}

/// How far the two threads got, and whether to stop.
struct Baton {
    /// Steps the first group has published.
    published: AtomicUsize,
    /// Steps the other groups have finished (and were told to go on after, unless `stop`).
    finished: AtomicUsize,
    stop: AtomicBool,
    /// Per thread (0: the first group's, 1: the caller's): its handle, and whether it is
    /// asleep waiting for the other.
    threads: [std::sync::OnceLock<std::thread::Thread>; 2],
    asleep: [AtomicBool; 2],
}

impl Baton {
    fn new(start: usize) -> Self {
        Baton {
            published: AtomicUsize::new(start),
            finished: AtomicUsize::new(start),
            stop: AtomicBool::new(false),
            threads: [std::sync::OnceLock::new(), std::sync::OnceLock::new()],
            asleep: [AtomicBool::new(false), AtomicBool::new(false)],
        }
    }

    /// Thread `me` waits until `count` reaches `target`; false when the run stops instead.
    /// It spins for [`SPIN`], then sleeps until the other thread wakes it.
    fn wait(&self, me: usize, count: &AtomicUsize, target: usize) -> bool {
        let ready = || self.stop.load(Ordering::SeqCst) || count.load(Ordering::SeqCst) >= target;
        let since = Instant::now();
        while !ready() {
            if spins(since.elapsed()) {
                std::hint::spin_loop();
                continue;
            }
            // Say so before the last look: the other thread sets the count, then looks
            // whether we sleep (all SeqCst), so one of us sees the other.
            self.asleep[me].store(true, Ordering::SeqCst);
            if !ready() {
                // A timeout only guards against a wake-up lost some other way.
                std::thread::park_timeout(Duration::from_millis(10));
            }
            self.asleep[me].store(false, Ordering::SeqCst);
        }
        // `stop` is set before the count that goes with it, so this sees it.
        !self.stop.load(Ordering::SeqCst)
    }

    /// Thread `me` sets `count` and wakes the other thread if it sleeps.
    fn post(&self, me: usize, count: &AtomicUsize, value: usize) {
        count.store(value, Ordering::SeqCst);
        self.wake(1 - me);
    }

    /// Stops the run and wakes both threads.
    fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake(0);
        self.wake(1);
    }

    fn wake(&self, who: usize) {
        if self.asleep[who].load(Ordering::SeqCst) {
            if let Some(thread) = self.threads[who].get() {
                thread.unpark();
            }
        }
    }
}

/// Whether a thread that has waited `waited` so far still spins rather than sleeps.
fn spins(waited: Duration) -> bool {
    waited < SPIN
}

/// How a pipelined run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// Every step is done.
    Done,
    /// `keep_going` said no.
    Stopped,
    /// Pipelined steps were slower than serial ones; the caller goes on serially.
    Slow,
}

/// Stops the run if the thread unwinds, so the other thread does not wait forever.
struct StopOnPanic<'a>(&'a Baton);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.stop();
        }
    }
}

/// Runs one thread's part; if it fails or panics, the run stops, so the other thread
/// does not wait for it.
fn stopping_on_failure<T>(baton: &Baton, part: impl FnOnce() -> Result<T>) -> Result<T> {
    let _guard = StopOnPanic(baton);
    let result = part();
    if result.is_err() {
        baton.stop();
    }
    result
}

/// The steps of a run a pipeline takes: `inputs` from step `start` on (the steps before
/// were taken serially), learning or not.
#[derive(Clone, Copy)]
struct Steps<'a> {
    inputs: Inputs<'a>,
    start: usize,
    learn: bool,
}

/// Takes `steps` (after a probe timed into `timing`) with the first group on a second
/// thread. Returns the number of steps done and why the pipeline ended.
fn pipelined(
    sensor: &Sensor,
    groups: &mut [Group],
    steps: Steps<'_>,
    record: &mut [Option<&mut [bool]>],
    keep_going: &mut impl FnMut(usize) -> bool,
    timing: &Timing,
) -> Result<(usize, End)> {
    assert!(
        steps.start >= 1,
        "the sensor is put back to the previous step's value on a stop"
    );
    let (first, rest) = groups.split_first_mut().expect("checked by `possible`");
    let (record_first, record_rest) = record.split_at_mut(record.len().min(1));
    let baton = Baton::new(steps.start);
    let _ = baton.threads[1].set(std::thread::current());
    let serial_step = timing.serial_step();
    #[cfg(test)]
    tests_only::STARTED.set(tests_only::STARTED.get() + 1);
    std::thread::scope(|scope| {
        let ahead =
            scope.spawn(|| stopping_on_failure(&baton, || first_group(sensor, first, steps, record_first, &baton)));
        let _ = baton.threads[0].set(ahead.thread().clone());
        baton.wake(0); // in case it went to sleep before its handle was known
        let behind = stopping_on_failure(&baton, || {
            other_groups(rest, steps, record_rest, keep_going, &baton, serial_step)
        });
        let ahead = ahead.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        ahead.and(behind)
    })
}

/// The first group's thread: feed and fire step `t` while the others finish `t - 1`, then
/// publish, learn and record step `t`.
fn first_group(
    sensor: &Sensor,
    group: &mut Group,
    steps: Steps<'_>,
    record: &mut [Option<&mut [bool]>],
    baton: &Baton,
) -> Result<()> {
    let inputs = steps.inputs;
    for t in steps.start..inputs.len() {
        sensor.feed_step(inputs, t)?;
        group.fire()?;
        if !baton.wait(0, &baton.finished, t) {
            // The run stops after step t - 1: the sensor shows that step's input again.
            return sensor.feed_step(inputs, t - 1);
        }
        group.publish()?;
        if steps.learn {
            group.learn()?;
        }
        record_step(std::slice::from_ref(group), record, t)?;
        baton.post(0, &baton.published, t + 1);
    }
    Ok(())
}

/// The calling thread: the other groups, one whole step after the first group published
/// it, then the question whether to go on, and every [`WINDOW`] steps whether the
/// pipeline still beats `serial_step` a step.
fn other_groups(
    groups: &mut [Group],
    steps: Steps<'_>,
    record: &mut [Option<&mut [bool]>],
    keep_going: &mut impl FnMut(usize) -> bool,
    baton: &Baton,
    serial_step: Duration,
) -> Result<(usize, End)> {
    let (inputs, start) = (steps.inputs, steps.start);
    let (mut window, mut slow_before) = (Instant::now(), false);
    for t in start..inputs.len() {
        if !baton.wait(1, &baton.published, t + 1) {
            return Ok((t, End::Stopped)); // the first group failed; its error is the run's
        }
        for group in groups.iter_mut() {
            group.compute()?;
        }
        if steps.learn {
            for group in groups.iter_mut() {
                group.learn()?;
            }
        }
        record_step(groups, record, t)?;
        let done = t + 1;
        let end = if !keep_going(done) {
            Some(End::Stopped)
        } else if (done - start) % WINDOW == 0 && done < inputs.len() {
            // The first windows warm the second core up (and give the scheduler time to
            // put the two threads on different cores); after that, two windows in a row
            // taking half as long again as serial steps would mean the machine is busy
            // elsewhere (one alone may just have been interrupted).
            let slow = done - start > WARM_UP * WINDOW && slow_window(window.elapsed(), serial_step);
            #[cfg(test)]
            let slow = slow && {
                let (from, to) = tests_only::PAYS_BETWEEN.get();
                !(from..to).contains(&done)
            };
            let twice = slow && slow_before;
            (window, slow_before) = (Instant::now(), slow);
            twice.then_some(End::Slow)
        } else {
            None
        };
        if let Some(end) = end {
            baton.stop.store(true, Ordering::SeqCst);
            baton.post(1, &baton.finished, done);
            return Ok((done, end));
        }
        baton.post(1, &baton.finished, done);
    }
    Ok((inputs.len(), End::Done))
}

/// Whether a window of [`WINDOW`] pipelined steps that took `took` was slow: its steps
/// took half as long again as serial ones (`serial_step` each).
fn slow_window(took: Duration, serial_step: Duration) -> bool {
    took * 2 > serial_step * 3 * WINDOW as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::{read, Activity};
    use crate::computation::Computation;
    use crate::encoders::{EncoderKind, NumericalEncoder};
    use crate::group::{feed_forward, loop_back};
    use crate::learning::Hebbian;
    use crate::source::Source;
    use crate::test_support::lcg_weights;

    #[test]
    fn the_mode_follows_the_variable_unless_one_thread_is_allowed() {
        let cases = [
            (None, 2, Mode::Auto),
            (Some("auto"), 8, Mode::Auto),
            (Some("anything"), 2, Mode::Auto),
            (Some("on"), 2, Mode::On),
            (Some(" on\n"), 2, Mode::On),
            (Some("off"), 2, Mode::Off),
            (None, 1, Mode::Off),
            (Some("on"), 1, Mode::Off),
        ];
        for (value, threads, mode) in cases {
            assert_eq!(Mode::parse(value, threads), mode, "{value:?} with {threads} threads");
        }
    }

    #[test]
    fn the_runnable_threads_are_read_from_loadavg() {
        assert_eq!(runnable_in("0.71 0.77 0.62 2/345 12345\n"), Some(2));
        assert_eq!(runnable_in("0.71 0.77 0.62"), None);
        assert_eq!(runnable_in(""), None);
        if cfg!(target_os = "linux") {
            // This thread is running, and so is one spinning beside it.
            let (spinning, stop) = (AtomicBool::new(false), AtomicBool::new(false));
            let runnable = std::thread::scope(|scope| {
                scope.spawn(|| {
                    spinning.store(true, Ordering::SeqCst);
                    while !stop.load(Ordering::SeqCst) {
                        std::hint::spin_loop();
                    }
                });
                while !spinning.load(Ordering::SeqCst) {
                    std::hint::spin_loop();
                }
                let runnable = runnable_threads();
                stop.store(true, Ordering::SeqCst);
                runnable
            });
            assert!(runnable.is_some_and(|n| n >= 2), "{runnable:?}");
        }
    }

    #[test]
    fn a_core_is_spare_when_fewer_threads_are_runnable_than_there_are_cores() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert!(spare_core(None), "nothing known: the pipeline's timing decides");
        assert!(spare_core(Some(cores - 1)));
        assert!(!spare_core(Some(cores)));
        assert!(!spare_core(Some(cores + 3)));
    }

    /// A probe that took `steps` steps of `first` and `rest` microseconds in all.
    fn probe(first: u64, rest: u64, steps: u32) -> Timing {
        Timing {
            first: Duration::from_micros(first),
            rest: Duration::from_micros(rest),
            steps,
            runnable: None,
            ..Timing::start()
        }
    }

    #[test]
    fn a_probe_times_both_halves_of_its_steps_and_looks_at_the_load_from_the_first() {
        let mut timing = Timing::start();
        for step in 1..=2 {
            timing.step_begins();
            std::thread::sleep(Duration::from_millis(1));
            timing.first_group_done();
            std::thread::sleep(Duration::from_millis(2));
            timing.step_ends();
            if cfg!(target_os = "linux") {
                assert!(timing.runnable.is_some(), "step {step}: {timing:?}");
            }
        }
        assert_eq!(timing.steps, 2);
        assert!(timing.first >= Duration::from_millis(2), "{timing:?}");
        assert!(timing.rest >= Duration::from_millis(4), "{timing:?}");
    }

    #[test]
    fn a_serial_step_is_the_mean_of_the_probe() {
        assert_eq!(probe(3000, 1000, 4).serial_step(), Duration::from_millis(1));
        assert_eq!(probe(0, 0, 0).serial_step(), Duration::ZERO);
    }

    #[test]
    fn a_probe_says_the_pipeline_pays_when_the_longer_half_and_the_handoffs_take_at_most_four_fifths() {
        // 30 steps: 30 us of handoffs.
        assert!(probe(50, 50, 30).worth_it(), "80 of 100: exactly four fifths");
        assert!(probe(500, 500, 30).worth_it());
        assert!(!probe(49, 49, 30).worth_it(), "79 of 98");
        assert!(!probe(60, 40, 30).worth_it(), "the longer half counts");
        assert!(!probe(0, 0, 0).worth_it(), "nothing timed");
        let busy = Timing {
            runnable: Some(usize::MAX),
            ..probe(500, 500, 30)
        };
        assert!(!busy.worth_it(), "no core is spare");
        // A kernel split over threads during the probe: its threads would compete.
        let split = probe(500, 500, 30);
        crate::parallel::run_split(vec![Box::new(|| {}), Box::new(|| {})]);
        assert!(!split.worth_it());
    }

    #[test]
    fn a_window_is_slow_when_its_steps_take_half_as_long_again_as_serial_ones() {
        let step = Duration::from_micros(10);
        let limit = step * 3 * WINDOW as u32 / 2;
        assert!(!slow_window(Duration::ZERO, step));
        assert!(!slow_window(limit, step));
        assert!(slow_window(limit + Duration::from_nanos(1), step));
        assert!(slow_window(Duration::from_nanos(1), Duration::ZERO));
    }

    #[test]
    fn a_waiting_thread_spins_at_first_then_sleeps() {
        assert!(spins(Duration::ZERO));
        assert!(spins(SPIN / 2));
        assert!(!spins(SPIN));
        assert!(!spins(SPIN * 1000));
    }

    /// Whether this thread was unparked (its next park returns at once).
    fn woken() -> bool {
        let since = Instant::now();
        std::thread::park_timeout(Duration::from_secs(2));
        since.elapsed() < Duration::from_secs(1)
    }

    #[test]
    fn a_post_or_a_stop_wakes_a_sleeping_thread() {
        let baton = Baton::new(0);
        let _ = baton.threads[1].set(std::thread::current());
        baton.asleep[1].store(true, Ordering::SeqCst);
        baton.post(0, &baton.published, 1);
        assert!(woken(), "a post wakes the other thread");
        baton.stop();
        assert!(woken(), "a stop wakes a sleeping thread");
        assert!(!baton.wait(1, &baton.published, 5), "and ends its wait");
    }

    /// The CPU time this thread has used so far, where the system says (Linux).
    fn cpu_time() -> Option<Duration> {
        let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        Some(Duration::from_nanos(stat.split_whitespace().next()?.parse().ok()?))
    }

    #[test]
    fn a_long_wait_sleeps_rather_than_spins() {
        let baton = Baton::new(0);
        let (going_on, used) = std::thread::scope(|scope| {
            let waiter = scope.spawn(|| {
                let _ = baton.threads[0].set(std::thread::current());
                let before = cpu_time();
                let going_on = baton.wait(0, &baton.finished, 1);
                (going_on, before.zip(cpu_time()).map(|(b, a)| a - b))
            });
            std::thread::sleep(Duration::from_millis(300));
            baton.post(1, &baton.finished, 1);
            waiter.join().unwrap()
        });
        assert!(going_on);
        if let Some(used) = used {
            assert!(used < Duration::from_millis(30), "a 300 ms wait used {used:?} of CPU");
        }
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
        /// A fourth group learns through the very connection the first group reads its own
        /// output with (cannot be pipelined: the two would update one matrix at once).
        SharedWithFirst,
    }

    /// A sensor and the groups it drives, as a network holds them.
    struct Wired {
        sensor: Sensor,
        groups: Vec<Group>,
    }

    fn wired(wiring: Wiring) -> Wired {
        let mut seed = 11u64;
        let sensor_out = Activity::zeros(&[40]).unwrap().shared();
        let encoder = NumericalEncoder::new(EncoderKind::Cyclic, 0.0, 100.0, 40, 0.1).unwrap();
        let mut layers: Vec<Group> = [12, 9, 7].iter().map(|&n| Group::new(&[n]).unwrap()).collect();
        let mut weights = lcg_weights(&mut seed);
        layers[0]
            .set("main", Source::Whole(sensor_out.clone()), weights(40, 12).unwrap())
            .unwrap();
        feed_forward(&mut layers, "main", &mut weights).unwrap();
        match wiring {
            Wiring::LoopBack => loop_back(&mut layers, "self", &mut weights).unwrap(),
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
            Wiring::SharedWithFirst => {
                loop_back(&mut layers[..1], "self", &mut weights).unwrap();
                let shared = layers[0].get("self").unwrap().unwrap().clone();
                let output = Activity::zeros(&[12]).unwrap().shared();
                layers.push(Group::from_parts(output, vec![("shared".to_string(), shared)], None, None).unwrap());
            }
            Wiring::FeedForward => {}
        }
        for (layer, k) in layers.iter_mut().zip([3, 2, 2, 2]) {
            layer.computation = Some(Computation::k_winners(k).unwrap());
            layer.learning = Some(Hebbian::new(0.05, 0.01).unwrap());
        }
        Wired {
            sensor: Sensor {
                encoder: Some(encoder),
                output: sensor_out,
            },
            groups: layers,
        }
    }

    /// Everything a run leaves that a user can see: outputs, sensor, every weight.
    fn state(n: &Wired) -> (Vec<Vec<f64>>, Vec<f64>, Vec<Vec<f64>>) {
        let outputs = n.groups.iter().map(|g| read(g.output()).values().to_vec()).collect();
        let sensor = read(&n.sensor.output).values().to_vec();
        let weights = n
            .groups
            .iter()
            .flat_map(|g| g.connections())
            .map(|c| c.weights_mut().to_dense().unwrap().to_vec())
            .collect();
        (outputs, sensor, weights)
    }

    /// A run of `n` as `Network::run` takes it, with every group recorded.
    fn run_all(
        n: &mut Wired,
        mode: Mode,
        values: &[f64],
        learn: bool,
        record: &mut [Option<&mut [bool]>],
        stop_at: usize,
    ) -> usize {
        parallel::with_team(|| {
            run(
                mode,
                &n.sensor,
                &mut n.groups,
                Inputs::Values(values),
                learn,
                record,
                |done| done < stop_at,
            )
        })
        .unwrap()
    }

    fn recorded(n: &mut Wired, mode: Mode, values: &[f64], learn: bool, stop_at: usize) -> (usize, Vec<Vec<bool>>) {
        let sizes: Vec<usize> = n.groups.iter().map(|g| g.size()).collect();
        let mut bufs: Vec<Vec<bool>> = sizes.iter().map(|&s| vec![false; s * values.len()]).collect();
        let mut slots: Vec<Option<&mut [bool]>> = bufs.iter_mut().map(|b| Some(&mut b[..])).collect();
        let done = run_all(n, mode, values, learn, &mut slots, stop_at);
        (done, bufs)
    }

    #[test]
    fn pipelined_runs_equal_serial_runs() {
        let values: Vec<f64> = (0..300).map(|i| ((i * 7) % 101) as f64).collect();
        for wiring in [Wiring::FeedForward, Wiring::LoopBack, Wiring::LaterFeedback] {
            for learn in [true, false] {
                let (mut a, mut b) = (wired(wiring), wired(wiring));
                assert!(possible(&a.sensor, &a.groups));
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
            run_all(&mut a, Mode::On, &values[stop_at..], true, &mut [], usize::MAX);
            run_all(&mut b, Mode::Off, &values[stop_at..], true, &mut [], usize::MAX);
            assert!(state(&a) == state(&b), "resumed after {stop_at}: states differ");
        }
    }

    #[test]
    fn networks_whose_first_group_depends_on_the_others_are_not_pipelined() {
        for wiring in [Wiring::FirstReadsSecond, Wiring::SensorTwice, Wiring::SharedWithFirst] {
            let n = wired(wiring);
            assert!(!possible(&n.sensor, &n.groups));
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
        assert!(!possible(&single.sensor, &single.groups));
    }

    #[test]
    fn a_run_whose_pipeline_turns_slow_goes_on_serially_and_tries_again() {
        use tests_only::{CLAIM, PAYS_BETWEEN, STARTED};
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
        let sizes: Vec<usize> = a.groups.iter().map(|g| g.size()).collect();
        let mut bufs: Vec<Vec<bool>> = sizes.iter().map(|&s| vec![false; s * values.len()]).collect();
        let mut slots: Vec<Option<&mut [bool]>> = bufs.iter_mut().map(|b| Some(&mut b[..])).collect();
        let mut go = |_| true;
        let first = Steps {
            inputs: Inputs::Values(&values[..1]),
            start: 0,
            learn: true,
        };
        let (done, _) = serial(&a.sensor, &mut a.groups, first, &mut slots, &mut go, None).unwrap();
        // A probe that claims serial steps take no time: every judged window is too slow.
        tests_only::CLAIM.set(Some((true, Duration::ZERO)));
        let timing = Timing::start();
        let steps = Steps {
            inputs: Inputs::Values(&values),
            start: done,
            learn: true,
        };
        let (done, end) = pipelined(&a.sensor, &mut a.groups, steps, &mut slots, &mut go, &timing).unwrap();
        tests_only::CLAIM.set(None);
        assert_eq!(end, End::Slow);
        assert_eq!(done, 1 + (WARM_UP + 2) * WINDOW);
        let rest = Steps { start: done, ..steps };
        let (done, stopped) = serial(&a.sensor, &mut a.groups, rest, &mut slots, &mut go, None).unwrap();
        assert_eq!((done, stopped), (1000, false));
        drop(slots);
        let mut b = wired(Wiring::LoopBack);
        let (_, rec_b) = recorded(&mut b, Mode::Off, &values, true, usize::MAX);
        assert!(bufs == rec_b, "recordings differ");
        assert!(state(&a) == state(&b), "final states differ");
    }

    #[test]
    fn only_runs_long_enough_are_probed_and_pipelined() {
        use tests_only::{CLAIM, PROBED, STARTED};
        let enough = PROBE_STEPS + MIN_STEPS;
        let cases = [
            // (mode, steps, what the probe claims, steps probed, pipelines started)
            (Mode::Off, 200, Some(true), 0, 0),
            (Mode::On, 1, None, 0, 0),
            (Mode::On, 2, None, 1, 1),
            (Mode::On, 200, None, 1, 1),
            (Mode::Auto, enough - 1, Some(true), 0, 0),
            (Mode::Auto, enough, Some(true), PROBE_STEPS, 1),
            (Mode::Auto, enough, Some(false), PROBE_STEPS, 0),
        ];
        for (mode, steps, claim, probed, started) in cases {
            let values: Vec<f64> = (0..steps).map(|i| ((i * 7) % 89) as f64).collect();
            let mut n = wired(Wiring::FeedForward);
            CLAIM.set(claim.map(|pays| (pays, Duration::ZERO)));
            PROBED.set(0);
            STARTED.set(0);
            let done = run_all(&mut n, mode, &values, true, &mut [], usize::MAX);
            CLAIM.set(None);
            let case = format!("{mode:?}, {steps} steps, probe claims {claim:?}");
            assert_eq!(done, steps, "{case}");
            assert_eq!((PROBED.get(), STARTED.get()), (probed, started), "{case}");
        }
    }

    #[test]
    fn a_pipeline_is_not_judged_at_its_last_step() {
        // Every judged window is slow: the second after the warm-up ends the pipeline,
        // unless it ends the run.
        let slow_at = 1 + (WARM_UP + 2) * WINDOW;
        for (steps, want) in [(slow_at, End::Done), (slow_at + 1, End::Slow)] {
            let values: Vec<f64> = (0..steps).map(|i| ((i * 3) % 89) as f64).collect();
            let mut a = wired(Wiring::FeedForward);
            let mut go = |_| true;
            let first = Steps {
                inputs: Inputs::Values(&values[..1]),
                start: 0,
                learn: true,
            };
            serial(&a.sensor, &mut a.groups, first, &mut [], &mut go, None).unwrap();
            tests_only::CLAIM.set(Some((true, Duration::ZERO)));
            let steps_after = Steps {
                inputs: Inputs::Values(&values),
                start: 1,
                learn: true,
            };
            let end = pipelined(
                &a.sensor,
                &mut a.groups,
                steps_after,
                &mut [],
                &mut go,
                &Timing::start(),
            );
            tests_only::CLAIM.set(None);
            assert_eq!(end.unwrap(), (slow_at, want), "{steps} steps");
        }
    }

    #[test]
    fn a_probe_times_the_first_group_apart_from_the_others() {
        // A first group of 4 units and a second of 50000: the second takes far longer.
        let mut seed = 5u64;
        let sensor_out = Activity::zeros(&[40]).unwrap().shared();
        let encoder = NumericalEncoder::new(EncoderKind::Cyclic, 0.0, 100.0, 40, 0.1).unwrap();
        let mut groups: Vec<Group> = [4, 50_000].iter().map(|&n| Group::new(&[n]).unwrap()).collect();
        let mut weights = lcg_weights(&mut seed);
        groups[0]
            .set("main", Source::Whole(sensor_out.clone()), weights(40, 4).unwrap())
            .unwrap();
        feed_forward(&mut groups, "main", &mut weights).unwrap();
        for group in &mut groups {
            group.computation = Some(Computation::k_winners(2).unwrap());
        }
        let sensor = Sensor {
            encoder: Some(encoder),
            output: sensor_out,
        };
        let values = [1.0, 20.0, 40.0];
        let steps = Steps {
            inputs: Inputs::Values(&values),
            start: 0,
            learn: false,
        };
        let mut timing = Timing::start();
        serial(&sensor, &mut groups, steps, &mut [], &mut |_| true, Some(&mut timing)).unwrap();
        assert_eq!(timing.steps, 3);
        assert!(timing.first < timing.rest, "{timing:?}");
    }

    /// Runs `f` on a thread of its own, failing if it has not returned within `limit` (a
    /// pipeline thread waiting for one that is gone would wait for ever).
    fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
        });
        match rx.recv_timeout(limit) {
            Ok(Ok(value)) => value,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => panic!("still running after {limit:?}"),
        }
    }

    #[test]
    fn a_failure_on_either_thread_ends_a_pipelined_run() {
        let values: Vec<f64> = (0..100).map(|i| ((i * 7) % 89) as f64).collect();
        // A value the sensor refuses, fed on the first group's thread.
        let mut bad = values.clone();
        bad[50] = f64::NAN;
        let err = within(Duration::from_secs(20), move || {
            let mut n = wired(Wiring::LoopBack);
            let inputs = Inputs::Values(&bad);
            run(Mode::On, &n.sensor, &mut n.groups, inputs, true, &mut [], |_| true).map_err(|e| e.to_string())
        });
        assert!(err.is_err_and(|e| e.contains("NaN")));
        // A panic on the caller's thread.
        let panicked = within(Duration::from_secs(20), move || {
            let mut n = wired(Wiring::LoopBack);
            let inputs = Inputs::Values(&values);
            let stop_at_40 = |done| if done == 40 { panic!("told to panic") } else { true };
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run(Mode::On, &n.sensor, &mut n.groups, inputs, true, &mut [], stop_at_40)
            }))
            .is_err()
        });
        assert!(panicked);
    }

    #[test]
    fn patterns_run_like_the_values_they_encode_pipelined_or_not() {
        let values: Vec<f64> = (0..200).map(|i| ((i * 11) % 97) as f64).collect();
        let mut patterns = Vec::new();
        {
            let n = wired(Wiring::FeedForward);
            for &v in &values {
                n.sensor.feed(v).unwrap();
                patterns.extend(read(&n.sensor.output).values().iter().map(|&x| x != 0.0));
            }
        }
        let mut reference = wired(Wiring::FeedForward);
        let (_, rec_values) = recorded(&mut reference, Mode::Off, &values, true, usize::MAX);
        for mode in [Mode::Off, Mode::On] {
            let mut n = wired(Wiring::FeedForward);
            n.sensor.encoder = None;
            let sizes: Vec<usize> = n.groups.iter().map(|g| g.size()).collect();
            let mut bufs: Vec<Vec<bool>> = sizes.iter().map(|&s| vec![false; s * values.len()]).collect();
            let mut slots: Vec<Option<&mut [bool]>> = bufs.iter_mut().map(|b| Some(&mut b[..])).collect();
            let inputs = Inputs::Patterns {
                bits: &patterns,
                width: 40,
            };
            let done = parallel::with_team(|| run(mode, &n.sensor, &mut n.groups, inputs, true, &mut slots, |_| true));
            assert_eq!(done.unwrap(), values.len());
            drop(slots);
            assert!(bufs == rec_values, "recordings differ in {mode:?}");
            assert!(state(&n) == state(&reference), "final states differ in {mode:?}");
        }
    }
}

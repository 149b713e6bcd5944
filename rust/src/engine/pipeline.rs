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

use super::activity::write;
use super::error::Result;
use super::group::Group;
use super::network::{record_step, Sensor};
use super::parallel;

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
pub(crate) const PROBE_STEPS: usize = 32;
/// The fewest steps after the probe for which starting a second thread is worth it.
pub(crate) const MIN_STEPS: usize = 64;
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
pub(crate) const RETRY_AFTER: usize = 1024;
/// Pipelined steps are timed in windows of this many; two windows in a row (after the
/// [`WARM_UP`] ones) much slower than the serial steps of the probe end the pipeline: the
/// machine is busier than when it was timed, and two threads waiting on each other suffer
/// most from that.
pub(crate) const WINDOW: usize = 64;
/// Windows not judged at the start of a pipeline.
pub(crate) const WARM_UP: usize = 4;

/// Whether a network may be pipelined at all: two groups or more, the sensor read by the
/// first group only, and the first group reading nothing the others write nor sharing a
/// connection or an output with them. (Whether a second thread is allowed is the
/// [`Mode`]'s business.)
pub(crate) fn possible(sensor: Option<&Sensor>, groups: &[Group]) -> bool {
    let (Some(sensor), Some((first, rest))) = (sensor, groups.split_first()) else {
        return false;
    };
    !rest.is_empty()
        && rest.iter().all(|g| {
            !g.reads(&sensor.output)
                && !first.reads(g.output())
                && !std::sync::Arc::ptr_eq(g.output(), first.output())
                && !first.shared_connections().any(|c| g.has_connection(c))
        })
        && !std::sync::Arc::ptr_eq(&sensor.output, first.output())
}

/// Where the time of the probe's steps went.
#[derive(Debug)]
pub(crate) struct Timing {
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
    pub(crate) fn start() -> Self {
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

    pub(crate) fn step_begins(&mut self) {
        self.step_start = Some(Instant::now());
    }

    pub(crate) fn first_group_done(&mut self) {
        self.first_done = Some(Instant::now());
    }

    pub(crate) fn step_ends(&mut self) {
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
    pub(crate) fn worth_it(&self) -> bool {
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
pub(crate) mod tests_only {
    use std::cell::Cell;
    use std::time::Duration;

    thread_local! {
        /// When set, every probe on this thread says whether the pipeline pays and that
        /// serial steps take this long (zero: every judged window of the pipeline is slow).
        pub(crate) static CLAIM: Cell<Option<(bool, Duration)>> = const { Cell::new(None) };
        /// Pipelines started on this thread.
        pub(crate) static STARTED: Cell<usize> = const { Cell::new(0) };
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
            if since.elapsed() < SPIN {
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

/// How a pipelined run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
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

/// The steps of a run a pipeline takes: `values[start..]` (the steps before were taken
/// serially), learning or not.
#[derive(Clone, Copy)]
pub(crate) struct Steps<'a> {
    pub values: &'a [f64],
    pub start: usize,
    pub learn: bool,
}

/// Takes `steps` (after a probe timed into `timing`) with the first group on a second
/// thread. Returns the number of steps done and why the pipeline ended.
pub(crate) fn run(
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
    let values = steps.values;
    for t in steps.start..values.len() {
        sensor.encoder.encode_into(values[t], &mut write(&sensor.output))?;
        group.fire()?;
        if !baton.wait(0, &baton.finished, t) {
            // The run stops after step t - 1: the sensor shows that step's value again.
            return sensor.encoder.encode_into(values[t - 1], &mut write(&sensor.output));
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
    let (values, start) = (steps.values, steps.start);
    let (mut window, mut slow_before) = (Instant::now(), false);
    for t in start..values.len() {
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
        let end = if !keep_going(t + 1) {
            Some(End::Stopped)
        } else if (t + 1 - start) % WINDOW == 0 && t + 1 < values.len() {
            // The first windows warm the second core up (and give the scheduler time to
            // put the two threads on different cores); after that, two windows in a row
            // taking half as long again as serial steps would mean the machine is busy
            // elsewhere (one alone may just have been interrupted).
            let slow = t + 1 - start > WARM_UP * WINDOW && window.elapsed() * 2 > serial_step * 3 * WINDOW as u32;
            #[cfg(test)]
            let slow = slow && {
                let (from, to) = tests_only::PAYS_BETWEEN.get();
                !(from..to).contains(&(t + 1))
            };
            let twice = slow && slow_before;
            (window, slow_before) = (Instant::now(), slow);
            twice.then_some(End::Slow)
        } else {
            None
        };
        if let Some(end) = end {
            baton.stop.store(true, Ordering::SeqCst);
            baton.post(1, &baton.finished, t + 1);
            return Ok((t + 1, end));
        }
        baton.post(1, &baton.finished, t + 1);
    }
    Ok((values.len(), End::Done))
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert!(runnable_threads().is_some_and(|n| n >= 1), "this thread is running");
        }
    }
}

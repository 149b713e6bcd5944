//! Splitting kernels over threads without changing any result.
//!
//! Kernels split only work whose per-element order does not depend on the split (rows of
//! a matrix, or columns of an activation), so results are bit-identical whatever the
//! thread count. Threads are scoped to one call: nothing lives between calls, which keeps
//! the engine safe in processes that fork (e.g. a `ProcessPoolExecutor`).
//!
//! Starting a thread costs tens of microseconds (about 60 on a small VM), which a whole
//! run would pay for every split kernel of every step. [`with_team`] keeps helper threads
//! for the length of one call instead (e.g. `Network::run`), started when a kernel first
//! splits and ended when the call returns: [`run_split`] hands them the work while they
//! are there and starts scoped threads otherwise. A process forked during such a call (from
//! a signal handler run between steps) has no helpers, so it notices the new process id
//! and starts scoped threads too.
use std::any::Any;
use std::cell::Cell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::mpsc::{channel, Receiver, Sender, TryRecvError};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Below this much work (in weight operations) a kernel stays on the calling thread.
pub const MIN_PARALLEL_WORK: usize = 1 << 18;

/// How many threads a kernel may use: `PROTOBRAIN_THREADS` when set (1 disables
/// threading), otherwise the available cores, at most 8.
pub fn threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| {
        threads_from(std::env::var("PROTOBRAIN_THREADS").ok().as_deref(), || {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        })
    })
}

/// The threads a `PROTOBRAIN_THREADS` value asks for when it is a count of 1 or more,
/// otherwise the `cores`, at most 8.
fn threads_from(value: Option<&str>, cores: impl FnOnce() -> usize) -> usize {
    value
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n >= 1)
        .unwrap_or_else(|| cores().min(8))
}

/// Runs `f` over `items` split into contiguous chunks, one per thread, when `work` is large
/// enough; otherwise over all items on the calling thread. `f` gets its chunk and the
/// chunk's offset in `items`.
pub fn for_chunks<T: Send>(items: &mut [T], work: usize, f: impl Fn(&mut [T], usize) + Sync) {
    let n = threads().min(items.len());
    if n <= 1 || work < MIN_PARALLEL_WORK {
        f(items, 0);
        return;
    }
    let chunk = items.len().div_ceil(n);
    let f = &f;
    run_split(
        items
            .chunks_mut(chunk)
            .enumerate()
            .map(|(k, part)| -> Job<'_> { Box::new(move || f(part, k * chunk)) })
            .collect(),
    );
}

/// One piece of a split kernel.
pub type Job<'a> = Box<dyn FnOnce() + Send + 'a>;

/// A job whose borrows were promised to outlive its run (see [`run_split`]).
type ErasedJob = Box<dyn FnOnce() + Send + 'static>;
type Outcome = std::thread::Result<()>;

/// Helper threads kept for one call: a job channel to each, one channel back.
struct Team {
    workers: Vec<Sender<ErasedJob>>,
    done: Receiver<Outcome>,
    /// The process the helpers run in.
    pid: u32,
}

/// The team of a [`with_team`] call, started the first time a kernel splits, so a call
/// with nothing to split starts no thread.
struct LazyTeam<'a> {
    start: &'a (dyn Fn() -> Team + 'a),
    team: std::cell::OnceCell<Team>,
    /// Set while a [`run_split`] uses the team: a split inside one of its jobs on this
    /// thread must not share the helpers (it could take the outer jobs' replies).
    busy: Cell<bool>,
}

thread_local! {
    /// The team of the call this thread is in, if any.
    static TEAM: Cell<*const LazyTeam<'static>> = const { Cell::new(std::ptr::null()) };
    /// How many times a kernel on this thread was split over threads (see [`splits`]).
    static SPLITS: Cell<u64> = const { Cell::new(0) };
}

/// How many times a kernel called on this thread has been split over several threads so
/// far: a caller compares two readings to learn whether its work was large enough to split.
pub fn splits() -> u64 {
    SPLITS.with(|s| s.get())
}

/// How long a waiting thread spins before it sleeps: most waits in a run are shorter (a
/// helper waits for the next kernel of the step, the caller for the helper's half), and
/// a sleeping thread takes about as long to wake as a new one takes to start.
const SPIN: Duration = Duration::from_micros(300);

/// Whether a thread that has waited `waited` so far still spins rather than sleeps.
fn spins(waited: Duration) -> bool {
    waited < SPIN
}

/// Receives from `rx`, spinning for [`SPIN`] before blocking. `None` when the sender is gone.
fn receive<T>(rx: &Receiver<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        match rx.try_recv() {
            Ok(value) => return Some(value),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) if spins(start.elapsed()) => std::hint::spin_loop(),
            Err(TryRecvError::Empty) => return rx.recv().ok(),
        }
    }
}

/// Runs `f` with `threads() - 1` helper threads kept until it returns, so every
/// [`run_split`] inside it (on this thread) uses them instead of starting threads. The
/// helpers end with the call: nothing outlives it.
pub fn with_team<R>(f: impl FnOnce() -> R) -> R {
    let helpers = threads().saturating_sub(1);
    if helpers == 0 || TEAM.with(|t| !t.get().is_null()) {
        return f();
    }
    std::thread::scope(|scope| {
        let start = || {
            let (done_tx, done) = channel::<Outcome>();
            let mut workers = Vec::with_capacity(helpers);
            for _ in 0..helpers {
                let (tx, rx) = channel::<ErasedJob>();
                let done_tx = done_tx.clone();
                scope.spawn(move || {
                    while let Some(job) = receive(&rx) {
                        if done_tx.send(catch_unwind(AssertUnwindSafe(job))).is_err() {
                            break;
                        }
                    }
                });
                workers.push(tx);
            }
            Team {
                workers,
                done,
                pid: std::process::id(),
            }
        };
        let lazy = LazyTeam {
            start: &start,
            team: std::cell::OnceCell::new(),
            busy: Cell::new(false),
        };
        TEAM.with(|t| t.set(std::ptr::from_ref(&lazy).cast::<LazyTeam<'static>>()));
        // Cleared even if `f` panics, before the helpers are told to stop (by dropping
        // their channels with `lazy`) and the scope joins them.
        struct Clear;
        impl Drop for Clear {
            fn drop(&mut self) {
                TEAM.with(|t| t.set(std::ptr::null()));
            }
        }
        let _clear = Clear;
        f()
    })
}

/// Runs every job, the first on the calling thread and the others on other threads (the
/// team's helpers inside [`with_team`], new scoped threads otherwise), and returns when
/// all are done. A panic in any job is raised again here once every job has finished.
pub fn run_split(mut jobs: Vec<Job<'_>>) {
    if jobs.is_empty() {
        return;
    }
    let first = jobs.remove(0);
    if !jobs.is_empty() {
        SPLITS.with(|s| s.set(s.get() + 1));
    }
    let lazy = TEAM.with(|t| t.get());
    // SAFETY: a non-null pointer is the team of a `with_team` call still running on this
    // thread (it is cleared before the team is dropped).
    let lazy = unsafe { lazy.as_ref() }.filter(|lazy| !lazy.busy.get());
    let team = lazy.map(|lazy| (lazy, lazy.team.get_or_init(lazy.start)));
    match team {
        Some((lazy, team)) if jobs.len() <= team.workers.len() && team.pid == std::process::id() => {
            lazy.busy.set(true);
            struct Idle<'a>(&'a Cell<bool>);
            impl Drop for Idle<'_> {
                fn drop(&mut self) {
                    self.0.set(false);
                }
            }
            let _idle = Idle(&lazy.busy);
            // Every panic payload is kept until every job is done (dropping one may run
            // code that panics again).
            let mut panics: Vec<Box<dyn Any + Send>> = Vec::new();
            let mut sent = 0;
            for (job, worker) in jobs.into_iter().zip(&team.workers) {
                // SAFETY: the job may borrow from the caller's frame for less than
                // 'static; this function waits below for every job sent to finish (or
                // panic) before returning or unwinding, so the borrows outlive the runs.
                let job: ErasedJob = unsafe { std::mem::transmute::<Job<'_>, ErasedJob>(job) };
                match worker.send(job) {
                    Ok(()) => sent += 1,
                    // A helper that is gone: run its part here, as carefully.
                    Err(returned) => panics.extend(catch_unwind(AssertUnwindSafe(returned.0)).err()),
                }
            }
            panics.extend(catch_unwind(AssertUnwindSafe(first)).err());
            for _ in 0..sent {
                match receive(&team.done) {
                    Some(Ok(())) => {}
                    Some(Err(payload)) => panics.push(payload),
                    None => unreachable!("the team's channel lives as long as the team"),
                }
            }
            if !panics.is_empty() {
                resume_unwind(panics.swap_remove(0));
            }
        }
        _ => std::thread::scope(|scope| {
            for job in jobs {
                scope.spawn(job);
            }
            first();
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_item_once_with_their_offsets() {
        let mut items: Vec<usize> = vec![0; 1000];
        for_chunks(&mut items, usize::MAX, |chunk, offset| {
            for (k, x) in chunk.iter_mut().enumerate() {
                *x += offset + k + 1;
            }
        });
        assert_eq!(items, (1..=1000).collect::<Vec<_>>());
    }

    #[test]
    fn the_thread_count_is_the_variable_when_a_count_otherwise_the_cores_up_to_8() {
        let cases = [
            (None, 4, 4),
            (None, 1, 1),
            (None, 16, 8),
            (Some("3"), 16, 3),
            (Some(" 12\n"), 2, 12),
            (Some("1"), 4, 1),
            (Some("0"), 4, 4),
            (Some("-2"), 4, 4),
            (Some("many"), 64, 8),
        ];
        for (value, cores, want) in cases {
            assert_eq!(threads_from(value, || cores), want, "{value:?} with {cores} cores");
        }
        // And that is what kernels get here.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let value = std::env::var("PROTOBRAIN_THREADS").ok();
        assert_eq!(threads(), threads_from(value.as_deref(), || cores));
    }

    #[test]
    fn kernels_split_only_work_large_enough_over_more_than_one_item() {
        use std::sync::Mutex;
        // The chunks `for_chunks` ran (offset, length), and whether it split.
        let chunks_of = |len: usize, work: usize| {
            let mut items = vec![0u8; len];
            let seen = Mutex::new(Vec::new());
            let before = splits();
            for_chunks(&mut items, work, |chunk, offset| {
                seen.lock().unwrap().push((offset, chunk.len()))
            });
            let mut seen = seen.into_inner().unwrap();
            seen.sort_unstable();
            (seen, splits() - before)
        };
        let n = threads();
        for work in [0, 1000, MIN_PARALLEL_WORK.saturating_sub(1)] {
            assert_eq!(chunks_of(1000, work), (vec![(0, 1000)], 0), "work {work}");
        }
        assert_eq!(chunks_of(1, usize::MAX), (vec![(0, 1)], 0), "a single item");
        for work in [MIN_PARALLEL_WORK, usize::MAX] {
            let (chunks, split) = chunks_of(1000, work);
            if n >= 2 {
                let chunk = 1000usize.div_ceil(n);
                let want: Vec<_> = (0..1000).step_by(chunk).map(|o| (o, chunk.min(1000 - o))).collect();
                assert_eq!((chunks, split), (want, 1), "work {work} over {n} threads");
            } else {
                assert_eq!((chunks, split), (vec![(0, 1000)], 0), "one thread allowed");
            }
        }
    }

    #[test]
    fn a_waiting_thread_spins_at_first_then_sleeps() {
        assert!(spins(Duration::ZERO));
        assert!(spins(SPIN / 2));
        assert!(!spins(SPIN));
        assert!(!spins(SPIN * 1000));
    }
}

#[cfg(test)]
mod team_tests {
    use super::*;

    fn split_sum(parts: &mut [Vec<u64>]) {
        let jobs: Vec<Job<'_>> = parts
            .iter_mut()
            .enumerate()
            .map(|(k, part)| -> Job<'_> {
                Box::new(move || {
                    for (i, x) in part.iter_mut().enumerate() {
                        *x += (k * 1000 + i) as u64;
                    }
                })
            })
            .collect();
        run_split(jobs);
    }

    /// The thread the second of two split jobs ran on.
    fn helper() -> std::thread::ThreadId {
        let mut id = None;
        run_split(vec![
            Box::new(|| {}),
            Box::new(|| id = Some(std::thread::current().id())),
        ]);
        id.expect("every job runs")
    }

    #[test]
    fn splits_count_the_kernels_split_on_this_thread() {
        let before = splits();
        run_split(Vec::new());
        run_split(vec![Box::new(|| {})]);
        assert_eq!(splits(), before, "one job is no split");
        helper();
        with_team(helper);
        assert_eq!(splits(), before + 2);
        std::thread::spawn(helper).join().unwrap();
        assert_eq!(splits(), before + 2, "splits on other threads are theirs");
    }

    #[test]
    fn a_team_keeps_its_helpers_for_the_whole_call_nested_calls_included() {
        let here = std::thread::current().id();
        let alone = [helper(), helper()];
        assert!(
            alone[0] != alone[1] && !alone.contains(&here),
            "without a team every split starts a thread"
        );
        with_team(|| {
            let first = helper();
            assert!(first != here && !alone.contains(&first));
            let inner = with_team(|| [helper(), helper()]);
            let after = helper();
            if threads() >= 2 {
                assert_eq!(inner, [first, first], "a nested call uses the same team");
                assert_eq!(after, first, "and the team outlives it");
            }
        });
        assert!(TEAM.with(|t| t.get().is_null()));
        assert_ne!(helper(), alone[1], "the team ended with the call");
    }

    #[test]
    fn jobs_run_once_each_with_or_without_a_team() {
        let mut alone = vec![vec![0u64; 100]; 3];
        split_sum(&mut alone);
        let mut together = vec![vec![0u64; 100]; 3];
        with_team(|| {
            for _ in 0..50 {
                split_sum(&mut together);
            }
        });
        for (a, t) in alone.iter().zip(&together) {
            assert_eq!(a.iter().map(|x| x * 50).collect::<Vec<_>>(), *t);
        }
        assert!(TEAM.with(|t| t.get().is_null()), "the team ends with the call");
    }

    /// The CPU time this thread has used so far, where the system says (Linux).
    fn cpu_time() -> Option<Duration> {
        let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        Some(Duration::from_nanos(stat.split_whitespace().next()?.parse().ok()?))
    }

    #[test]
    fn an_idle_helper_sleeps_rather_than_spins() {
        // The CPU time the helper used between the end of one job and the start of the
        // next, 300 ms later.
        let (mut end, mut start) = (None, None);
        with_team(|| {
            run_split(vec![Box::new(|| {}), Box::new(|| end = cpu_time())]);
            std::thread::sleep(Duration::from_millis(300));
            run_split(vec![Box::new(|| {}), Box::new(|| start = cpu_time())]);
        });
        if let (Some(end), Some(start), true) = (end, start, threads() >= 2) {
            let used = start - end;
            assert!(
                used < Duration::from_millis(30),
                "an idle helper used {used:?} of CPU in 300 ms"
            );
        }
    }

    #[test]
    fn a_split_inside_a_job_does_not_share_the_team() {
        // The caller's job splits again while the helper is still busy with the other
        // job: the inner split must be complete when it returns (sharing the helper, it
        // would take the outer job's reply for its own and return early).
        use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
        let inner_done = AtomicBool::new(false);
        let seen_inner = AtomicBool::new(false);
        with_team(|| {
            let jobs: Vec<Job<'_>> = vec![
                Box::new(|| {
                    let inner: Vec<Job<'_>> = vec![
                        Box::new(|| {}),
                        Box::new(|| {
                            std::thread::sleep(Duration::from_millis(40));
                            inner_done.store(true, SeqCst);
                        }),
                    ];
                    run_split(inner);
                    seen_inner.store(inner_done.load(SeqCst), SeqCst);
                }),
                Box::new(|| std::thread::sleep(Duration::from_millis(20))),
            ];
            run_split(jobs);
        });
        assert!(
            seen_inner.load(SeqCst),
            "the inner split returned before its jobs finished"
        );
    }

    #[test]
    fn a_panicking_job_is_raised_after_every_job_finished() {
        let finished = std::sync::atomic::AtomicUsize::new(0);
        let result = catch_unwind(AssertUnwindSafe(|| {
            with_team(|| {
                let jobs: Vec<Job<'_>> = vec![
                    Box::new(|| {
                        finished.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }),
                    Box::new(|| panic!("job failed")),
                ];
                run_split(jobs);
            })
        }));
        assert!(result.is_err());
        assert_eq!(finished.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(TEAM.with(|t| t.get().is_null()));
    }
}

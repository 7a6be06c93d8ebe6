//! Supervising the reading workers: which worker reads which inbox file,
//! what happens when one dies, hangs or will not start, and the run's
//! time budget. One thread (a lane) per worker process
//! ([`super::workers`]); the lanes share the files, the answers and a pool
//! through which a lane without a worker hands its files to the others.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, LazyLock, Mutex};
use std::time::{Duration, Instant};

use super::workers::Worker;
use super::{FileRead, ReadFailure, read_file};
use crate::files::sha256_file;
use crate::model::vocabulary::Vocabulary;

/// How workers are run: `exe args`, `count` at a time, each file given at
/// most `timeout`, all files together at most `budget`.
pub struct Supervision<'a> {
    pub exe: &'a Path,
    pub args: &'a [String],
    pub count: usize,
    pub timeout: Duration,
    pub budget: Duration,
    pub max_bytes: u64,
    /// For the files read here when no worker starts (the workers are
    /// told the same words in `args`).
    pub words: &'a Vocabulary,
}

/// Paths a worker is given ahead of the one it reads: with one waiting in
/// its pipe it never idles while the parent takes an answer and sends the
/// next path (three thread wake-ups, about 0.1 ms a file: a seventh of
/// `check`'s reading at 1,000 files, issue 15).
const IN_FLIGHT: usize = 2;

/// Reads `paths` with supervised workers. Where no worker can ever be
/// started (the program cannot be run: not found, not permitted), files
/// are read in this process instead. Otherwise a worker that will not
/// start (the system out of processes for a moment) is tried again; if it
/// still will not, its files go to the workers still running, and only
/// when none is left are they reported unread ([`ReadFailure::NoReader`]):
/// never read here without limits, as one may be the file that just ended
/// a worker. Once the budget is spent, the files not yet read are
/// reported as such: N hostile files cannot cost N times the file timeout.
///
/// A worker reads the paths it is sent in order, so when it dies or
/// overruns, the oldest path without an answer is the file it was on;
/// the ones sent after it were never started and go to a fresh worker.
/// A file whose worker died is read once more by a fresh one before it
/// is blamed: the worker may have been killed from outside, between files.
pub fn read_supervised(
    paths: &[PathBuf],
    how: &Supervision<'_>,
    on_read: &(dyn Fn() + Sync),
) -> Vec<FileRead> {
    let reading = Reading {
        paths,
        how,
        deadline: Instant::now() + how.budget,
        next: AtomicUsize::new(0),
        results: paths.iter().map(|_| Mutex::new(None)).collect(),
        on_read,
        pool: Mutex::new(Pool::default()),
        pool_changed: Condvar::new(),
        started: AtomicBool::new(false),
        refused: AtomicBool::new(false),
        spawns: AtomicUsize::new(0),
        first_start: Mutex::new(()),
    };
    std::thread::scope(|s| {
        for _ in 0..how.count.clamp(1, paths.len().max(1)) {
            s.spawn(|| Lane::default().run(&reading));
        }
    });
    // Every file was answered above; one that was not is reported, never
    // read here, where a hostile file could take the run down.
    reading
        .results
        .into_iter()
        .zip(paths)
        .map(|(r, p)| {
            r.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| failed(p, ReadFailure::Crashed("读取进程未给出结果".into())))
        })
        .collect()
}

/// What the supervising threads share: the files, the next one to take,
/// and a place for each answer.
struct Reading<'a> {
    paths: &'a [PathBuf],
    how: &'a Supervision<'a>,
    deadline: Instant,
    next: AtomicUsize,
    results: Vec<Mutex<Option<FileRead>>>,
    on_read: &'a (dyn Fn() + Sync),
    pool: Mutex<Pool>,
    /// Signalled when a file is answered or files are handed back.
    pool_changed: Condvar,
    /// A worker has run: starting one works on this system.
    started: AtomicBool,
    /// A worker would not start even when tried again: the next try is
    /// one attempt, no pause, until one starts.
    refused: AtomicBool,
    /// Workers started, for the test hook `TALLY_TEST_SPAWN_LIMIT`.
    spawns: AtomicUsize,
    /// Held while starting a worker until one has started: the first
    /// answer says whether workers can run here at all, before any lane
    /// reads a file in this process.
    first_start: Mutex<()>,
}

/// Files handed back by a lane whose worker would not start, and the
/// lanes with a worker to read them. One lock for both: a lane leaves
/// only when no file waits for it, and a file is handed back only while
/// a lane with a worker is there to take it.
///
/// Also the files whose worker died while on them, read once more (by
/// any lane), with how it died: the reason they keep if they cannot be
/// read again.
#[derive(Default)]
struct Pool {
    returned: VecDeque<usize>,
    /// Lanes with a worker.
    live: usize,
    /// Files answered: a lane with a worker ends only when all are, as
    /// until then another may lose its worker and hand files back.
    recorded: usize,
    second_chances: Vec<(usize, ReadFailure)>,
    /// A lane's thread unwound: no lane waits for its files.
    broken: bool,
}

/// A worker that will not start: tried this many more times, this long
/// apart, before its lane gives up.
const START_RETRIES: u32 = 3;
const START_PAUSE: Duration = Duration::from_millis(100);

impl Reading<'_> {
    fn record(&self, i: usize, read: FileRead) {
        *self.results[i]
            .lock()
            .expect("no poisoning: workers do not panic") = Some(read);
        self.pool().recorded += 1;
        self.pool_changed.notify_all();
        (self.on_read)();
    }

    fn pool(&self) -> std::sync::MutexGuard<'_, Pool> {
        self.pool
            .lock()
            .expect("no poisoning: the pool's users do not panic")
    }

    /// How file `i`'s worker died, if one did once.
    fn died_on(&self, i: usize) -> Option<ReadFailure> {
        let pool = self.pool();
        let (_, died) = pool.second_chances.iter().find(|(f, _)| *f == i)?;
        Some(died.clone())
    }

    fn take(&self) -> Option<usize> {
        if let Some(i) = self.pool().returned.pop_front() {
            return Some(i);
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        (i < self.paths.len()).then_some(i)
    }

    /// A fresh worker. `Ok(None)`: none can ever start here, read in this
    /// process. `Err`: none would start now, the system's words.
    fn start_worker(&self) -> Result<Option<Worker>, String> {
        let _first = (!self.started.load(Ordering::Acquire))
            .then(|| self.first_start.lock().unwrap_or_else(|e| e.into_inner()));
        let how = self.how;
        let tries = if self.refused.load(Ordering::Relaxed) {
            1
        } else {
            1 + START_RETRIES
        };
        let mut error = None;
        for attempt in 0..tries {
            if attempt > 0 {
                std::thread::sleep(START_PAUSE);
            }
            match self.spawn_for_tests(|| Worker::spawn(how.exe, how.args, how.timeout)) {
                Ok(w) => {
                    self.started.store(true, Ordering::Release);
                    self.refused.store(false, Ordering::Relaxed);
                    return Ok(Some(w));
                }
                Err(e) if !self.started.load(Ordering::Acquire) && cannot_ever_run(&e) => {
                    return Ok(None);
                }
                Err(e) => error = Some(e),
            }
        }
        self.refused.store(true, Ordering::Relaxed);
        Err(error.map_or_else(String::new, |e| e.to_string()))
    }

    /// Test hook: `TALLY_TEST_SPAWN_LIMIT=N` lets only N workers start, as
    /// a system out of processes would, or with `TALLY_TEST_SPAWN_MISSING`
    /// set, as one where the program cannot be found (tests/integration).
    fn spawn_for_tests(
        &self,
        spawn: impl FnOnce() -> std::io::Result<Worker>,
    ) -> std::io::Result<Worker> {
        let limit = crate::test_hooks::number::<usize>("TALLY_TEST_SPAWN_LIMIT");
        if let Some(limit) = limit
            && self.spawns.fetch_add(1, Ordering::Relaxed) >= limit
        {
            let kind = match crate::test_hooks::value("TALLY_TEST_SPAWN_MISSING") {
                Some(_) => std::io::ErrorKind::NotFound,
                None => std::io::ErrorKind::WouldBlock,
            };
            return Err(std::io::Error::new(kind, "TALLY_TEST_SPAWN_LIMIT"));
        }
        spawn()
    }
}

/// A start failure that no retry mends: the program is not there, or may
/// not be run. Others (out of processes, of memory, of open files) pass.
fn cannot_ever_run(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{NotFound, PermissionDenied, Unsupported};
    matches!(e.kind(), NotFound | PermissionDenied | Unsupported)
}

/// One supervising thread and its worker.
#[derive(Default)]
struct Lane {
    worker: Option<Worker>,
    /// Sent to the worker and not answered, oldest first.
    sent: VecDeque<usize>,
    /// Taken but not (or no longer) with a worker: those sent after a
    /// file that ended its worker.
    held: VecDeque<usize>,
    /// Fresh workers gone before their first path, since one last read
    /// a file: counted as failed starts.
    stillborn: u32,
    /// Its worker would not start and the others took its files.
    retired: bool,
}

impl Lane {
    fn run(mut self, r: &Reading<'_>) {
        let _unwinding = Unwinding(r);
        loop {
            self.fill(r);
            let Some(&i) = self.sent.front() else {
                if self.leave(r) {
                    break;
                }
                continue;
            };
            self.await_answer(r, i);
        }
    }

    /// Whether this lane may end: nothing waits in the pool for it, and
    /// (with a worker) every file is answered, so no other lane can still
    /// lose its worker and hand files back with none left to take them.
    /// A lane here has nothing in flight and holds nothing: each file not
    /// answered is with a lane not here, or in the pool.
    fn leave(&mut self, r: &Reading<'_>) -> bool {
        if self.retired {
            return true;
        }
        let mut pool = r.pool();
        if self.worker.is_some() {
            while !pool.broken && pool.returned.is_empty() && pool.recorded < r.paths.len() {
                pool = r
                    .pool_changed
                    .wait(pool)
                    .expect("no poisoning: the pool's users do not panic");
            }
        }
        if !pool.broken && !pool.returned.is_empty() {
            return false;
        }
        if self.worker.take().is_some() {
            pool.live -= 1;
        }
        true
    }

    fn lose(&mut self, r: &Reading<'_>) {
        if self.worker.take().is_some() {
            r.pool().live -= 1;
        }
    }

    /// Sends the worker files until `IN_FLIGHT` are with it (reading here
    /// when no worker can ever start, and past the budget reading nothing).
    fn fill(&mut self, r: &Reading<'_>) {
        let how = r.how;
        while self.sent.len() < IN_FLIGHT && !self.retired {
            let Some(i) = self.held.pop_front().or_else(|| r.take()) else {
                return;
            };
            if Instant::now() >= r.deadline {
                let failure = r
                    .died_on(i)
                    .unwrap_or(ReadFailure::OutOfTime(how.budget.as_secs()));
                r.record(i, failed(&r.paths[i], failure));
                continue;
            }
            if self.worker.is_none() && !self.start(r, i) {
                continue;
            }
            panic_for_tests(&r.paths[i]);
            let w = self.worker.as_mut().expect("a worker was started above");
            if w.send(&r.paths[i]) {
                self.sent.push_back(i);
            } else if self.sent.is_empty() {
                // Gone before it was given anything to read: no file's
                // doing.
                let failure = w.died();
                self.lose(r);
                self.unready(r, i, failure.detail().unwrap_or_default().to_string());
            } else {
                // Gone: its answers (or its end) say why, in `await_answer`.
                self.held.push_front(i);
                return;
            }
        }
    }

    /// Starts a worker for file `i`; `false` when `i` was dealt with
    /// otherwise (read here, handed to the other lanes, or reported).
    fn start(&mut self, r: &Reading<'_>, i: usize) -> bool {
        match r.start_worker() {
            Ok(Some(w)) => {
                r.pool().live += 1;
                self.worker = Some(w);
                true
            }
            Ok(None) => {
                r.record(i, read_file(&r.paths[i], r.how.max_bytes, r.how.words));
                false
            }
            Err(error) => {
                self.give_up(r, i, error);
                false
            }
        }
    }

    /// A fresh worker gone before it read file `i`: a failed start, tried
    /// again like one (after the same pause: what it lacked, threads or
    /// memory, may be back by then).
    fn unready(&mut self, r: &Reading<'_>, i: usize, error: String) {
        self.stillborn += 1;
        if self.stillborn <= START_RETRIES {
            std::thread::sleep(START_PAUSE);
            self.held.push_front(i);
        } else {
            self.give_up(r, i, error);
        }
    }

    /// No worker will start for file `i`: the lanes still reading take it
    /// and the files held here; with none left, it is reported.
    fn give_up(&mut self, r: &Reading<'_>, i: usize, error: String) {
        let mut pool = r.pool();
        if pool.live > 0 {
            pool.returned.push_back(i);
            pool.returned.extend(self.held.drain(..));
            r.pool_changed.notify_all();
            self.retired = true;
            return;
        }
        drop(pool);
        // A file that already ended a worker keeps that reason: it may be
        // the file's fault.
        let failure = r.died_on(i).unwrap_or(ReadFailure::NoReader(error));
        r.record(i, failed(&r.paths[i], failure));
    }

    /// Waits for the answer about file `i`, the oldest sent.
    fn await_answer(&mut self, r: &Reading<'_>, i: usize) {
        let (timeout, budget) = (r.how.timeout, r.how.budget);
        let left = r.deadline.saturating_duration_since(Instant::now());
        let w = self.worker.as_mut().expect("paths in flight have a worker");
        let answer = w.answer(timeout.min(left));
        self.sent.pop_front();
        let failure = match answer {
            Ok(read) => {
                self.stillborn = 0;
                r.record(i, read);
                return;
            }
            // Cut short by the run's budget, not its own time.
            Err(ReadFailure::TimedOut(_)) if left < timeout => {
                ReadFailure::OutOfTime(budget.as_secs())
            }
            Err(f) => f,
        };
        self.lose(r);
        // The files sent after `i` were never started.
        self.held.extend(self.sent.drain(..));
        match (failure, r.died_on(i)) {
            (ReadFailure::NoReader(error), _) => self.unready(r, i, error),
            // Its second reading failed too: blamed, with how its worker
            // died the first time.
            (_, Some(died)) => r.record(i, failed(&r.paths[i], died)),
            (failure @ ReadFailure::Crashed(_), None) => {
                r.pool().second_chances.push((i, failure));
                self.held.push_front(i);
            }
            (failure, None) => r.record(i, failed(&r.paths[i], failure)),
        }
    }
}

/// Test hook: `TALLY_TEST_LANE_PANIC_ON` makes the lane about to send a
/// path containing it panic, as a bug or a system out of threads would
/// (tests/integration). Read once: this is on every file's path.
fn panic_for_tests(path: &Path) {
    static ON: LazyLock<Option<String>> = LazyLock::new(|| {
        crate::test_hooks::value("TALLY_TEST_LANE_PANIC_ON")
            .map(|t| t.to_string_lossy().into_owned())
    });
    if let Some(text) = ON.as_deref()
        && path.to_string_lossy().contains(text)
    {
        panic!("TALLY_TEST_LANE_PANIC_ON");
    }
}

/// Marks the pool broken when a lane's thread unwinds (a bug, or a
/// system out of threads), so that the lanes waiting for every file to
/// be answered end instead of waiting for its files forever; the run then
/// ends with the lane's panic.
struct Unwinding<'a, 'r>(&'a Reading<'r>);

impl Drop for Unwinding<'_, '_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut pool = self.0.pool.lock().unwrap_or_else(|e| e.into_inner());
            pool.broken = true;
            self.0.pool_changed.notify_all();
        }
    }
}

/// What is known of a file whose reading failed: its hash, and why.
fn failed(path: &Path, failure: ReadFailure) -> FileRead {
    FileRead {
        sha256: sha256_file(path).unwrap_or_default(),
        result: Err(failure),
    }
}

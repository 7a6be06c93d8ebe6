//! Reading files in supervised worker processes.
//!
//! Some workbooks make calamine abort the process (a giant allocation) or
//! loop; neither can be caught inside one process. So the inbox is read by a
//! few long-lived children (`tally __worker`), one file at a time each: the
//! parent sends a path, the child answers with one frame (a 4-byte length,
//! then the [`FileRead`] in postcard, a compact binary form). A child that
//! dies or overruns its time costs only the file it was reading, which is
//! reported, and a fresh child takes over the rest.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use super::{FileRead, ReadFailure, read_file};
use crate::files::{hex, sha256_file};
use crate::model::vocabulary::Vocabulary;

/// One worker process and the answers it sends.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    answers: Receiver<Vec<u8>>,
    /// Its limit for one file (it ends itself past it, [`OVERRAN`]).
    timeout: Duration,
}

/// The exit code of a worker whose own watchdog ended it: a file read
/// past its time limit (the parent's wait usually gives up first).
const OVERRAN: i32 = 4;

/// The exit code of a worker that could not set itself up (no thread for
/// its watchdog): a failed start, no file's doing.
const UNREADY: i32 = 5;

/// Larger answers are taken for a broken worker: the largest table a sheet
/// may hold ([`crate::sheet::MAX_CELLS_PER_SHEET`] cells) encodes to far less.
const MAX_ANSWER: usize = 512 * 1024 * 1024;

/// Writes one answer frame: its length (4 bytes, little-endian), then it.
fn write_frame(out: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(bytes.len())
        .ok()
        .filter(|&n| n as usize <= MAX_ANSWER)
        .ok_or_else(|| std::io::Error::other("answer too large"))?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(bytes)?;
    out.flush()
}

/// Reads one answer frame; `None` at the end of the stream or for a
/// frame that cannot be one.
fn read_frame(input: &mut impl Read) -> Option<Vec<u8>> {
    let mut len = [0; 4];
    input.read_exact(&mut len).ok()?;
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_ANSWER {
        return None;
    }
    let mut bytes = vec![0; len];
    input.read_exact(&mut bytes).ok()?;
    Some(bytes)
}

impl Worker {
    fn spawn(exe: &Path, args: &[String], timeout: Duration) -> std::io::Result<Worker> {
        let mut child = Command::new(exe)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // An aborting reader prints to stderr; the parent reports it instead.
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, answers) = channel();
        // A system out of threads is a failed start, not a panic.
        let listening = std::thread::Builder::new().spawn(move || {
            let mut stdout = BufReader::new(stdout);
            while let Some(frame) = read_frame(&mut stdout) {
                if tx.send(frame).is_err() {
                    break;
                }
            }
        });
        if let Err(e) = listening {
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
        Ok(Worker {
            child,
            stdin,
            answers,
            timeout,
        })
    }

    /// Gives the worker one more path to read, after those it has.
    /// `false`: the worker is gone (its pipe is closed).
    fn send(&mut self, path: &Path) -> bool {
        // One write: the worker takes the line whole.
        let line = format!("{}\n", encode_path(path));
        self.stdin.write_all(line.as_bytes()).is_ok()
    }

    /// The answer for the oldest path sent and not yet answered, waited
    /// for at most `timeout`; `Err` means the worker is gone (killed when
    /// it overran).
    fn answer(&mut self, timeout: Duration) -> Result<FileRead, ReadFailure> {
        match self.answers.recv_timeout(timeout) {
            Ok(frame) => postcard::from_bytes(&frame)
                .map_err(|e| ReadFailure::Crashed(format!("worker answer: {e}"))),
            Err(RecvTimeoutError::Timeout) => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                Err(ReadFailure::TimedOut(timeout.as_secs()))
            }
            Err(RecvTimeoutError::Disconnected) => Err(self.died()),
        }
    }

    /// The worker is gone, or is no longer understood (an answer that is
    /// no frame): it is ended, so that waiting for it cannot hang.
    fn died(&mut self) -> ReadFailure {
        let _ = self.child.kill();
        match self.child.wait() {
            Ok(s) if s.code() == Some(OVERRAN) => ReadFailure::TimedOut(self.timeout.as_secs()),
            Ok(s) if s.code() == Some(UNREADY) => ReadFailure::NoReader(describe(s)),
            Ok(s) => ReadFailure::Crashed(describe(s)),
            Err(e) => ReadFailure::Crashed(e.to_string()),
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn describe(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            let name = match sig {
                6 => "SIGABRT，多为内存申请过大",
                9 => "SIGKILL",
                11 => "SIGSEGV",
                _ => "",
            };
            return format!("读取进程被信号 {sig} 终止 {name}")
                .trim()
                .to_string();
        }
    }
    format!("读取进程异常退出，{status}")
}

/// Paths travel as hex of their bytes: any file name, one line each.
fn encode_path(path: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        hex(path.as_os_str().as_bytes())
    }
    #[cfg(not(unix))]
    {
        hex(path.to_string_lossy().as_bytes())
    }
}

fn decode_path(line: &str) -> Option<PathBuf> {
    let line = line.trim();
    if !line.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..line.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(line.get(i..i + 2)?, 16).ok())
        .collect();
    let bytes = bytes?;
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Some(PathBuf::from(OsString::from_vec(bytes)))
    }
    #[cfg(not(unix))]
    {
        String::from_utf8(bytes)
            .ok()
            .map(|s| PathBuf::from(OsString::from(s)))
    }
}

/// The worker's side: answers each path on stdin with a [`FileRead`] frame
/// on stdout, until stdin closes.
///
/// # Errors
///
/// An I/O error when stdin or stdout fails (the parent went away).
pub fn serve(
    max_bytes: u64,
    memory_limit: u64,
    timeout: Duration,
    words: &Vocabulary,
) -> std::io::Result<()> {
    die_with_parent();
    limit_memory(memory_limit);
    // Panics are caught per file and reported in the answer; the default
    // hook would only add noise on a stderr nobody reads.
    std::panic::set_hook(Box::new(|_| {}));
    let reading = watchdog(timeout);
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line?;
        *reading.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        let read = match decode_path(&line) {
            Some(path) => {
                slow_down_for_tests();
                end_for_tests(&path);
                read_file(&path, max_bytes, words)
            }
            None => FileRead {
                sha256: String::new(),
                result: Err(ReadFailure::Io("bad path from parent".into())),
            },
        };
        *reading.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let bytes = postcard::to_stdvec(&read).map_err(std::io::Error::other)?;
        write_frame(&mut out, &bytes)?;
    }
    Ok(())
}

/// Asks the system to kill this worker when its parent dies (Linux): a
/// reader stuck in a loop must not outlive a run that was killed.
fn die_with_parent() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl with PR_SET_PDEATHSIG only sets a flag of this
        // process; getppid has no preconditions.
        unsafe {
            let parent = libc::getppid();
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            // The parent may have died before the call: then die now.
            if libc::getppid() != parent {
                std::process::exit(3);
            }
        }
    }
}

/// A thread that ends the worker when one file has been read for longer
/// than `timeout` (and a grace period): the worker enforces its own limit,
/// also where the parent cannot (a killed parent on a system without
/// parent-death signals). Returns when the current file started.
fn watchdog(timeout: Duration) -> std::sync::Arc<Mutex<Option<Instant>>> {
    let reading = std::sync::Arc::new(Mutex::new(None::<Instant>));
    let seen = reading.clone();
    let limit = timeout + Duration::from_secs(2);
    let watching = std::thread::Builder::new().spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(200));
            let since = *seen.lock().unwrap_or_else(|e| e.into_inner());
            if since.is_some_and(|t| t.elapsed() > limit) {
                std::process::exit(OVERRAN);
            }
        }
    });
    if watching.is_err() {
        std::process::exit(UNREADY);
    }
    reading
}

/// Test hook: `TALLY_TEST_READ_SPIN_MS` makes every read spin the CPU that
/// long first, as a reader caught in a loop would (tests/integration).
fn slow_down_for_tests() {
    let Some(ms) = std::env::var("TALLY_TEST_READ_SPIN_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    else {
        return;
    };
    let start = Instant::now();
    let mut n: u64 = 0;
    while start.elapsed() < Duration::from_millis(ms) {
        n = std::hint::black_box(n.wrapping_add(1));
    }
}

/// Test hook: `TALLY_TEST_READ_EXIT_ON` makes the worker end (exit code
/// 9) on a path containing it, as a reader killed by a file would
/// (tests/integration).
///
/// With `TALLY_TEST_READ_EXIT_MARK` (a file path) it ends only the first
/// worker to reach that path, as one killed from outside would be: the
/// mark is made by the worker that ends.
fn end_for_tests(path: &Path) {
    let Some(text) = std::env::var_os("TALLY_TEST_READ_EXIT_ON") else {
        return;
    };
    if !path
        .to_string_lossy()
        .contains(text.to_string_lossy().as_ref())
    {
        return;
    }
    if let Some(mark) = std::env::var_os("TALLY_TEST_READ_EXIT_MARK") {
        let first = std::fs::File::create_new(mark).is_ok();
        if !first {
            return;
        }
    }
    std::process::exit(9);
}

/// Caps this process's address space, so that a workbook that makes the
/// reader allocate without end fails fast (the allocation aborts the
/// worker, which the parent reports) instead of exhausting the machine.
/// See corpus file `exceldatareader/Test_git_issue_382_oom.xls`.
fn limit_memory(bytes: u64) {
    #[cfg(unix)]
    {
        let limit = libc::rlimit {
            rlim_cur: bytes as libc::rlim_t,
            rlim_max: libc::RLIM_INFINITY,
        };
        // SAFETY: setrlimit only reads the struct we pass; failure leaves
        // the process unlimited, which is no worse than not trying.
        unsafe {
            libc::setrlimit(libc::RLIMIT_AS, &limit);
        }
    }
    #[cfg(not(unix))]
    let _ = bytes;
}

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
        let limit = std::env::var("TALLY_TEST_SPAWN_LIMIT")
            .ok()
            .and_then(|v| v.parse::<usize>().ok());
        if let Some(limit) = limit
            && self.spawns.fetch_add(1, Ordering::Relaxed) >= limit
        {
            let kind = match std::env::var_os("TALLY_TEST_SPAWN_MISSING") {
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
    /// again like one.
    fn unready(&mut self, r: &Reading<'_>, i: usize, error: String) {
        self.stillborn += 1;
        if self.stillborn <= START_RETRIES {
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
/// (tests/integration).
fn panic_for_tests(path: &Path) {
    if let Some(text) = std::env::var_os("TALLY_TEST_LANE_PANIC_ON")
        && path
            .to_string_lossy()
            .contains(text.to_string_lossy().as_ref())
    {
        panic!("TALLY_TEST_LANE_PANIC_ON");
    }
}

/// Marks the pool broken when a lane's thread unwinds (a bug, or a
/// system out of threads), so that the lanes waiting for every file to
/// be answered end instead of waiting for its files forever; those files
/// are reported as unanswered.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_cross_as_frames_intact() {
        let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/inbox/2022-03");
        let words = Vocabulary::standard();
        let mut reads: Vec<FileRead> = ["清泉镇.xlsx", "陈户镇.xls", "报送说明.txt"]
            .iter()
            .map(|f| read_file(&samples.join(f), 1 << 20, words))
            .collect();
        // What a worker can answer: tables with labels, dates and notes,
        // and each kind of refusal.
        assert!(reads[0].result.as_ref().is_ok_and(|e| e.table.is_some()));
        assert!(
            reads[1]
                .result
                .as_ref()
                .is_ok_and(|e| e.reported_at.is_some())
        );
        assert!(reads[2].result.is_err());
        reads.push(FileRead {
            sha256: "ab".repeat(32),
            result: Err(ReadFailure::TimedOut(30)),
        });
        let mut wire = Vec::new();
        for r in &reads {
            write_frame(&mut wire, &postcard::to_stdvec(r).unwrap()).unwrap();
        }
        let mut input = wire.as_slice();
        for r in &reads {
            let frame = read_frame(&mut input).expect("a whole frame");
            assert_eq!(&postcard::from_bytes::<FileRead>(&frame).unwrap(), r);
        }
        assert_eq!(
            read_frame(&mut input),
            None,
            "the stream ends after the last"
        );
        // A cut-off frame (a worker that died writing it) is no answer.
        let mut cut = &wire[..wire.len() - 1];
        let answers = std::iter::from_fn(|| read_frame(&mut cut)).count();
        assert_eq!(answers, reads.len() - 1);
    }

    /// A worker that writes something other than a frame and then waits
    /// for the next path is ended and reported, not waited for for ever.
    #[cfg(unix)]
    #[test]
    fn a_worker_answering_no_frame_is_ended() {
        let args = ["-c".to_string(), "printf junk; cat >/dev/null".to_string()];
        let mut worker =
            Worker::spawn(Path::new("/bin/sh"), &args, Duration::from_secs(30)).unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            assert!(worker.send(Path::new("/x.xlsx")));
            let _ = tx.send(worker.answer(Duration::from_secs(30)));
        });
        let answer = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the parent stopped waiting");
        assert!(matches!(answer, Err(ReadFailure::Crashed(_))), "{answer:?}");
    }

    /// A worker its own watchdog ended was reading a file too long: the
    /// file timed out, whoever noticed first.
    #[cfg(unix)]
    #[test]
    fn a_worker_that_ended_itself_past_its_limit_timed_out() {
        // As the parent finds it: the worker has ended (its pipe closed).
        let ended = |code: &str| {
            let args = ["-c".to_string(), format!("exit {code}")];
            let mut w = Worker::spawn(Path::new("/bin/sh"), &args, Duration::from_secs(7)).unwrap();
            while w.child.try_wait().unwrap().is_none() {
                std::thread::sleep(Duration::from_millis(5));
            }
            w.died()
        };
        assert!(matches!(
            ended(&OVERRAN.to_string()),
            ReadFailure::TimedOut(7)
        ));
        assert!(matches!(ended("1"), ReadFailure::Crashed(_)));
    }

    #[test]
    fn paths_round_trip_through_hex() {
        let p = PathBuf::from("/tmp/收件箱/清泉镇\n3月.xlsx");
        assert_eq!(decode_path(&encode_path(&p)), Some(p));
        assert_eq!(decode_path("zz"), None);
        assert_eq!(decode_path("abc"), None);
    }
}

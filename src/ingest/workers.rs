//! Reading files in supervised worker processes.
//!
//! Some workbooks make calamine abort the process (a giant allocation) or
//! loop; neither can be caught inside one process. So the inbox is read by a
//! few long-lived children (`tally __worker`), one file at a time each: the
//! parent sends a path, the child answers with one frame (a 4-byte length,
//! then the [`FileRead`] in postcard, a compact binary form). A child that
//! dies or overruns its time costs only the file it was reading, which is
//! reported, and a fresh child takes over the rest. How the children are
//! run, replaced and given files is [`super::supervise`]'s part; this room
//! is one child and its side of the pipe.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use super::{FileRead, ReadFailure, read_file};
use crate::files::hex;
use crate::model::vocabulary::Vocabulary;

/// One worker process and the answers it sends.
pub(super) struct Worker {
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
    pub(super) fn spawn(exe: &Path, args: &[String], timeout: Duration) -> std::io::Result<Worker> {
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
    pub(super) fn send(&mut self, path: &Path) -> bool {
        // One write: the worker takes the line whole.
        let line = format!("{}\n", encode_path(path));
        self.stdin.write_all(line.as_bytes()).is_ok()
    }

    /// The answer for the oldest path sent and not yet answered, waited
    /// for at most `timeout`; `Err` means the worker is gone (killed when
    /// it overran).
    pub(super) fn answer(&mut self, timeout: Duration) -> Result<FileRead, ReadFailure> {
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
    pub(super) fn died(&mut self) -> ReadFailure {
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
/// on stdout, until stdin closes. `parent`: the supervising process's id,
/// so that a worker whose parent died before it could ask ends too.
///
/// # Errors
///
/// An I/O error when stdin or stdout fails (the parent went away).
pub fn serve(
    max_bytes: u64,
    memory_limit: u64,
    timeout: Duration,
    words: &Vocabulary,
    parent: Option<u32>,
) -> std::io::Result<()> {
    slow_start_for_tests();
    die_with_parent(parent);
    limit_memory(memory_limit);
    // Panics are caught per file and reported in the answer; the default
    // hook would only add noise on a stderr nobody reads.
    std::panic::set_hook(Box::new(|_| {}));
    let reading = watchdog(timeout);
    unready_for_tests();
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
fn die_with_parent(parent: Option<u32>) {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl with PR_SET_PDEATHSIG only sets a flag of this
        // process; getppid has no preconditions.
        unsafe {
            let first = libc::getppid();
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            // The parent may have died before the call: then die now.
            // Compared with the id the parent gave: on a busy system it
            // may have died before this process could first ask, which
            // would then be told its new parent's id (the run killed at
            // once left a reader spinning, tests/integration).
            let parent = parent.and_then(|p| libc::pid_t::try_from(p).ok());
            if libc::getppid() != parent.unwrap_or(first) {
                std::process::exit(3);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = parent;
}

/// Test hook: `TALLY_TEST_WORKER_START_MS` makes a worker that long to
/// start, as on a busy system (tests/integration).
fn slow_start_for_tests() {
    if let Some(ms) = crate::test_hooks::number::<u64>("TALLY_TEST_WORKER_START_MS") {
        std::thread::sleep(Duration::from_millis(ms));
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
    let Some(ms) = crate::test_hooks::number::<u64>("TALLY_TEST_READ_SPIN_MS") else {
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
    let Some(text) = crate::test_hooks::value("TALLY_TEST_READ_EXIT_ON") else {
        return;
    };
    if !path
        .to_string_lossy()
        .contains(text.to_string_lossy().as_ref())
    {
        return;
    }
    if let Some(mark) = crate::test_hooks::value("TALLY_TEST_READ_EXIT_MARK") {
        let first = std::fs::File::create_new(mark).is_ok();
        if !first {
            return;
        }
    }
    std::process::exit(9);
}

/// Test hook: with `TALLY_TEST_WORKER_UNREADY=N` the first N workers
/// started (counted by the files they make in the folder
/// `TALLY_TEST_WORKER_UNREADY_DIR`) end before reading any path, as one
/// that cannot set itself up does (tests/integration).
fn unready_for_tests() {
    let (Some(n), Some(dir)) = (
        crate::test_hooks::number::<u32>("TALLY_TEST_WORKER_UNREADY"),
        crate::test_hooks::value("TALLY_TEST_WORKER_UNREADY_DIR"),
    ) else {
        return;
    };
    let dir = Path::new(&dir);
    if (0..n).any(|k| std::fs::File::create_new(dir.join(k.to_string())).is_ok()) {
        std::process::exit(UNREADY);
    }
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

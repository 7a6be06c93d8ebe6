//! Errors said to people: a library error keeps its source chain (the
//! path as context, the operating system's reason beneath it), and only
//! the final print turns it into one line, each cause after a colon, with
//! the common system errors in Chinese. A library that panics where it
//! should return an error (rust_xlsxwriter on a full disk) is run inside
//! [`caught`], whose panics become errors and are not printed.

use std::any::Any;
use std::cell::Cell;
use std::error::Error;
use std::io::ErrorKind;

/// An error and all its causes as one line: `无法读取计划表 plan.xlsx：找不到该文件或文件夹`.
pub fn chain(e: &dyn Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = match c.downcast_ref::<std::io::Error>() {
            Some(io) => describe_io(io),
            None => c.to_string(),
        };
        // Some errors repeat their source in their own text.
        if !parts.last().is_some_and(|p| p.contains(&text)) {
            parts.push(text);
        }
        cause = c.source();
    }
    parts.retain(|p| !p.is_empty());
    parts.join("：")
}

/// An operating-system error as a clerk reads it.
pub fn describe_io(e: &std::io::Error) -> String {
    let said = match e.kind() {
        ErrorKind::NotFound => "找不到该文件或文件夹，请检查路径",
        ErrorKind::PermissionDenied => "没有访问权限，请检查文件或文件夹的权限",
        ErrorKind::IsADirectory => "这是一个文件夹，不是文件",
        ErrorKind::NotADirectory => "路径中有一部分不是文件夹",
        ErrorKind::StorageFull => "磁盘已满，请清理磁盘空间后重试",
        ErrorKind::ReadOnlyFilesystem => "磁盘是只读的，无法写入",
        ErrorKind::AlreadyExists => "文件已存在",
        ErrorKind::DirectoryNotEmpty => "文件夹不是空的",
        ErrorKind::ConnectionRefused => "连接被拒绝，请检查服务器地址和端口",
        ErrorKind::TimedOut => "连接超时",
        ErrorKind::BrokenPipe => "输出管道已关闭",
        ErrorKind::FileTooLarge => "文件过大",
        ErrorKind::OutOfMemory => "内存不足",
        _ => return e.to_string(),
    };
    said.to_string()
}

thread_local! {
    /// Set while [`caught`] runs on this thread: its panics become answers.
    static CATCHING: Cell<bool> = const { Cell::new(false) };
}

/// The first words people read when tally itself fails (a bug): whose
/// fault it is and that the command did not finish. [`bug_report`] adds
/// what became of the command's work and what to do, then the panic's
/// own English text for whoever mends the bug.
pub const BUG: &str =
    "tally 内部错误：这是 tally 程序本身的缺陷，不是您的文件或设置的问题，本次命令没有完成。";

/// A panic raised outside [`caught`]: its message, and the whole text the
/// default hook would have printed (thread, place, stack when asked for).
struct Panic {
    message: String,
    full: String,
}

/// The panics raised so far outside [`caught`], kept until it is known
/// whether one ends the command ([`bug_report`]), was turned into an
/// error ([`caught`]), or neither ([`panics_left`]).
static PANICS: std::sync::Mutex<Vec<Panic>> = std::sync::Mutex::new(Vec::new());

fn panics() -> std::sync::MutexGuard<'static, Vec<Panic>> {
    PANICS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Keeps panics off stderr when they are raised: the default hook prints
/// every panic, in English, before anyone could catch it, and a panic is
/// only a bug when nothing catches it. Those inside [`caught`] become
/// errors. One on a thread a library starts inside [`caught`] looks to
/// this hook like any other: it is kept, and [`caught`] takes it back as
/// the cause of its error. The binary calls this first thing, says
/// [`bug_report`] when a panic reaches its `main` (exit 2: it could not
/// work, not Rust's 101), and [`panics_left`] otherwise.
pub fn hush_caught_panics() {
    std::panic::set_hook(Box::new(|info| {
        if CATCHING.with(Cell::get) {
            return;
        }
        let thread = std::thread::current();
        let mut full = format!("thread '{}' {info}", thread.name().unwrap_or("<unnamed>"));
        let trace = std::backtrace::Backtrace::capture();
        if trace.status() == std::backtrace::BacktraceStatus::Captured {
            full.push_str(&format!("\nstack backtrace:\n{trace}"));
        }
        let message = panic_text(info.payload());
        panics().push(Panic { message, full });
    }));
}

/// What the binary says when a panic ended the command: [`BUG`], what
/// became of the command's work (`note`, from the command: e.g. that a
/// run recorded nothing), then each panic's own text for whoever mends it
/// (a reading thread's panic and the waiting thread's that raised it
/// again: one sentence for both).
pub fn bug_report(note: &str) -> String {
    let texts: Vec<String> = panics().drain(..).map(|p| p.full).collect();
    let mut report = format!(
        "{BUG}{note}请把下面几行发给 tally 的维护人员。\n\n{}",
        texts.join("\n\n")
    );
    if std::env::var_os("RUST_BACKTRACE").is_none() {
        report.push_str(
            "\n\n（维护人员：设置环境变量 RUST_BACKTRACE=1 后重新运行，可看到出错时的调用栈）",
        );
    }
    report
}

/// The panics of threads whose panic neither ended the command nor was
/// turned into an error (a thread nobody waited for): a bug all the same,
/// for the binary to pass on to the maintainers. `None` when there were
/// none.
pub fn panics_left() -> Option<String> {
    let texts: Vec<String> = panics().drain(..).map(|p| p.full).collect();
    (!texts.is_empty()).then(|| {
        format!(
            "tally：供维护人员参考：运行中有线程出错（程序缺陷），请把下面几行发给 tally 的维护人员。\n\n{}",
            texts.join("\n\n")
        )
    })
}

/// Runs `f`; a panic inside it becomes `Err` with the panic's text. For
/// work inside a library that panics where it should return an error:
/// whatever `f` was building is dropped, never used. A panic on a thread
/// the library started (which only tells this one "a scoped thread
/// panicked") gives its own text instead.
///
/// # Errors
///
/// The panic's text.
pub fn caught<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let before = panics().len();
    let was = CATCHING.replace(true);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    CATCHING.set(was);
    result.map_err(|p| {
        let own = panic_text(&*p);
        if own != SCOPED {
            return own;
        }
        // The first panic kept since this call began: its thread's. Calls
        // running at once on other threads could each take the other's
        // (both a full disk, most likely); none is lost or said twice.
        let mut kept = panics();
        if kept.len() > before {
            kept.remove(before).message
        } else {
            own
        }
    })
}

/// What `std::thread::scope` raises on its own thread when one of its
/// threads panicked.
const SCOPED: &str = "a scoped thread panicked";

/// The text a panic was raised with.
fn panic_text(p: &(dyn Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("无法读取计划表 plan.xlsx")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn a_chain_reads_as_one_chinese_line() {
        let e = Outer(std::io::Error::from(ErrorKind::NotFound));
        assert_eq!(
            chain(&e),
            "无法读取计划表 plan.xlsx：找不到该文件或文件夹，请检查路径"
        );
        let full = std::io::Error::from(ErrorKind::StorageFull);
        assert!(describe_io(&full).contains("磁盘已满"));
    }

    #[test]
    fn a_caught_panic_is_its_text() {
        assert_eq!(caught(|| 7), Ok(7));
        assert_eq!(
            caught(|| -> u8 { panic!("temp file: {}", 28) }),
            Err("temp file: 28".to_string())
        );
        assert_eq!(
            caught(|| -> u8 { panic!("static") }),
            Err("static".to_string())
        );
        // The flag is this thread's, and only while catching.
        assert!(!CATCHING.with(Cell::get));
    }

    #[test]
    fn a_panic_on_a_thread_started_inside_caught_is_its_text() {
        // As rust_xlsxwriter's threads would: this thread only hears "a
        // scoped thread panicked"; the error says what the other said.
        /// Puts the default hook back for the other tests, however this
        /// one ends (they run at once: their panics are kept meanwhile).
        struct Restore;
        impl Drop for Restore {
            fn drop(&mut self) {
                let _ = std::panic::take_hook();
            }
        }
        hush_caught_panics();
        let restore = Restore;
        let result = caught(|| {
            std::thread::scope(|s| {
                s.spawn(|| panic!("disk full: {}", 28));
            })
        });
        drop(restore);
        assert_eq!(result, Err("disk full: 28".to_string()));
        // Taken back by caught (another test's panic meanwhile may be
        // kept: only ours must not be).
        assert!(!panics_left().is_some_and(|t| t.contains("disk full")));
    }
}

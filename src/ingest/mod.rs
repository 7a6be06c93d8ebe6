//! Reading the inbox: every file becomes a [`FileRead`], whatever it holds.
//!
//! A workbook is reduced to what tally needs from it (the indicator table,
//! the key-project table, the 填报单位 and 填报日期 lines) without looking
//! at the plan, so the reading can run in worker processes (see
//! [`workers`]) that a hostile file may crash without taking the run down.

pub mod limits;
pub mod locate;
mod supervise;
pub mod workers;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::NaiveDate;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use locate::{Label, ProjectRow, ProjectTable, Row, Table};

use crate::files::sha256_hex;
use crate::model::period::named_month;
use crate::model::value::CellValue;
use crate::model::vocabulary::{Vocabulary, meta};
use crate::sheet::{Book, Format, Grid, OpenError};

/// Files larger than this are refused unread unless the limit is raised.
pub const DEFAULT_MAX_BYTES: u64 = 50 * 1024 * 1024;

/// What one workbook holds for tally.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Extract {
    /// The visible worksheets, in the order they were searched.
    pub sheets: Vec<String>,
    /// The hidden worksheets (tally's own record apart), never searched.
    pub hidden: Vec<String>,
    /// `填报单位：…`
    pub unit_label: Option<Label>,
    /// `填报日期：…` and the date read from it.
    pub date_label: Option<Label>,
    pub reported_at: Option<NaiveDate>,
    pub table: Option<Table>,
    /// The key-project table (CONTRACT.md section 11), on any sheet.
    #[serde(default)]
    pub projects: Option<ProjectTable>,
    /// Present when the workbook is one of tally's own templates.
    pub template: Option<TemplateMeta>,
    /// The words above the indicator table (its title), where a file says
    /// which period it is for.
    #[serde(default)]
    pub title: Option<String>,
    /// Sheets after the indicator table that could not be read (damaged),
    /// where the project table may have been.
    #[serde(default)]
    pub damaged: Vec<String>,
}

/// The identity `tally template` records in its hidden `_tally` sheet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TemplateMeta {
    pub unit: String,
    pub period: String,
    pub plan_sha256: String,
}

/// The identity recorded in a workbook `tally template` wrote, if it is
/// one: for `tally mail`, which attaches the forms to its reminders.
pub fn template_of(bytes: &[u8]) -> Option<TemplateMeta> {
    crate::errors::caught(|| {
        let mut book = Book::open(bytes, Some(Format::Xlsx)).ok()?;
        let sheets = book.sheet_names();
        template_meta(&mut book, &sheets)
    })
    .ok()
    .flatten()
}

/// Reads the hidden sheet of a tally template, if the workbook has one.
fn template_meta(book: &mut Book<'_>, sheets: &[String]) -> Option<TemplateMeta> {
    let name = sheets.iter().find(|s| *s == meta::SHEET)?;
    let grid = book.grid(name, 100).ok()?;
    let mut found = TemplateMeta::default();
    for (r, _) in grid.rows() {
        let value = grid.text(r, 1);
        match grid.text(r, 0).as_str() {
            meta::UNIT => found.unit = value,
            meta::PERIOD => found.period = value,
            meta::PLAN_SHA256 => found.plan_sha256 = value,
            _ => {}
        }
    }
    (!found.unit.is_empty()).then_some(found)
}

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ReadFailure {
    Open(OpenError),
    TooLarge {
        bytes: u64,
        limit: u64,
    },
    Io(String),
    /// Reading it would cost too much (a zip bomb, millions of cells).
    Excess(limits::Excess),
    /// The reader failed inside (a panic, an abort, a crash of the worker).
    Crashed(String),
    TimedOut(u64),
    /// The run's time for reading was used up before this file's turn.
    OutOfTime(u64),
    /// Not read: the file has no spreadsheet ending.
    NotAWorkbook,
    /// Not read: no reading process would start for it, even tried again,
    /// and none was left running to take it (the system out of processes,
    /// threads or memory), the system's error said.
    NoReader(String),
}

/// The error value (`#CALC!`) the reader does not know, from its words.
fn unknown_error_value(why: &str) -> Option<&str> {
    let rest = why.split_once("Unsupported cell error value '")?.1;
    let value = rest.split_once('\'')?.0;
    value.starts_with('#').then_some(value)
}

impl ReadFailure {
    /// What went wrong and what to do, for the township clerk: never the
    /// reader's own words (see [`ReadFailure::detail`]).
    pub fn message(&self) -> String {
        match self {
            ReadFailure::Open(OpenError::Password) => {
                "文件设置了打开密码，无法读取；请取消密码后重新报送".into()
            }
            ReadFailure::Open(OpenError::Empty) => "文件是空的（0 字节）；请重新保存后报送".into(),
            ReadFailure::Open(OpenError::NoSheets) => {
                "文件中没有工作表；请使用下发的模板填报".into()
            }
            ReadFailure::Open(OpenError::Corrupt(_)) => {
                "文件已损坏或不是 Excel/WPS 表格，无法打开；请用 Excel 或 WPS 另存为 .xlsx 后重新报送".into()
            }
            ReadFailure::Open(OpenError::DamagedSheet { sheet, why }) => {
                match unknown_error_value(why) {
                    // #CALC!, #SPILL!: newer Excel's, which saving again
                    // writes again.
                    Some(value) => format!(
                        "工作表“{sheet}”中有公式出错（{value}），整张表无法读取，数值都未采用；请改正或删除出错的公式（或复制后“选择性粘贴→数值”），再重新报送"
                    ),
                    None => format!(
                        "工作表“{sheet}”已损坏，无法完整读取，数值都未采用；请用 Excel 或 WPS 打开后另存为 .xlsx，再重新报送"
                    ),
                }
            }
            ReadFailure::Open(OpenError::TooManyCells { sheet, limit }) => format!(
                "工作表“{sheet}”超过 {limit} 个单元格，没有完整读取，数值都未采用；请删除多余的行列后另存再报送"
            ),
            ReadFailure::TooLarge { bytes, limit } => format!(
                "文件过大（{:.1} MB，上限 {:.0} MB），未读取；请删除多余的工作表和图片后重新报送（统计局可用 --max-file-mb 放宽上限）",
                *bytes as f64 / 1048576.0,
                *limit as f64 / 1048576.0
            ),
            ReadFailure::Excess(e) => e.message(),
            ReadFailure::Io(_) => {
                "无法读取文件；请检查文件是否仍在复制中，或是否有读取权限".into()
            }
            ReadFailure::Crashed(_) => {
                "文件内容异常，读取时出错；请用 Excel 或 WPS 另存为 .xlsx 后重新报送".into()
            }
            ReadFailure::TimedOut(secs) => format!(
                "文件读取超过 {secs} 秒仍未完成，可能已损坏；请用 Excel 或 WPS 另存为 .xlsx 后重新报送"
            ),
            ReadFailure::OutOfTime(secs) => format!(
                "本次汇总读取报表的总时间（{secs} 秒）已用完，此文件未读取；请检查收件文件夹中是否有异常文件，或用 --read-budget 放宽后重新运行"
            ),
            ReadFailure::NotAWorkbook => {
                "不是 Excel/WPS 表格（.xlsx .xlsm .xls .xlsb .ods），未读取".into()
            }
            ReadFailure::NoReader(_) => {
                "汇总时计算机无法启动读取程序，此文件未读取（不是文件的问题）；统计局稍后重新运行即可，无需重新报送".into()
            }
        }
    }

    /// The reader's own words, for the bureau's log, never for a clerk.
    pub fn detail(&self) -> Option<&str> {
        match self {
            ReadFailure::Open(OpenError::Corrupt(d))
            | ReadFailure::Open(OpenError::DamagedSheet { why: d, .. })
            | ReadFailure::Io(d)
            | ReadFailure::Crashed(d)
            | ReadFailure::NoReader(d) => Some(d),
            _ => None,
        }
    }

    /// Whether the file failed a size limit (`too_large`) rather than
    /// being unreadable.
    pub fn too_large(&self) -> bool {
        matches!(
            self,
            ReadFailure::TooLarge { .. }
                | ReadFailure::Excess(_)
                | ReadFailure::Open(OpenError::TooManyCells { .. })
        )
    }
}

/// The outcome of reading one workbook file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileRead {
    /// Hex SHA-256 of the bytes; empty when the file was not read.
    pub sha256: String,
    pub result: Result<Extract, ReadFailure>,
}

/// How files are read.
#[derive(Debug, Clone)]
pub enum Isolation {
    /// In this process, in parallel; a panic is caught, an abort is not.
    InProcess,
    /// In supervised worker processes running `exe` with `args`; a file that
    /// crashes or hangs its worker is reported and the worker replaced.
    Workers {
        exe: PathBuf,
        args: Vec<String>,
        count: usize,
        /// At most this long for one file.
        timeout: Duration,
        /// At most this long for all files of the run.
        budget: Duration,
    },
}

/// Settings for reading the inbox.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub max_bytes: u64,
    /// The header words to know: the standard ones and the bureau's.
    pub words: std::sync::Arc<Vocabulary>,
    pub isolation: Isolation,
    /// Advanced once per file read, when set.
    pub progress: Option<indicatif::ProgressBar>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_bytes: DEFAULT_MAX_BYTES,
            words: std::sync::Arc::new(Vocabulary::default()),
            isolation: Isolation::InProcess,
            progress: None,
        }
    }
}

/// Reduces a workbook's bytes to an [`Extract`].
///
/// Sheets are searched in order (visible first) for the indicator table
/// and the project table, which may share a sheet or not; the unit and
/// date lines are taken from above the indicator table, or from the first
/// sheet that has them when there is none.
///
/// # Errors
///
/// [`OpenError`] when the bytes are no workbook calamine can open, or when
/// a sheet met before the indicator table cannot be read.
pub fn extract(
    bytes: &[u8],
    claimed: Option<Format>,
    words: &Vocabulary,
) -> Result<Extract, OpenError> {
    let mut book = Book::open(bytes, claimed)?;
    let Sheets {
        visible: sheets,
        hidden,
        template,
    } = sheets_to_search(&mut book, words)?;
    // A hidden sheet is no report: last month's copy kept out of sight,
    // or tally's own record; read, it would stand in for a visible sheet
    // whose table was not found, with its figures and its date.
    let mut out = Extract {
        template,
        sheets: sheets.clone(),
        hidden: hidden.into_iter().filter(|s| s != meta::SHEET).collect(),
        ..Extract::default()
    };
    for name in &sheets {
        if out.table.is_some() && out.projects.is_some() {
            break;
        }
        if *name == meta::SHEET {
            continue;
        }
        let mut grid = match book.grid(name, crate::sheet::MAX_CELLS_PER_SHEET) {
            Ok(g) => g,
            // After the indicator table: the file is used, and the sheet is
            // named where the project table may have been on it.
            Err(_) if out.table.is_some() => {
                out.damaged.push(name.clone());
                continue;
            }
            // Before it: the sheet may have held it, and another sheet
            // (last month's copy) must not stand in.
            Err(e) => {
                return Err(OpenError::DamagedSheet {
                    sheet: name.clone(),
                    why: e.to_string(),
                });
            }
        };
        // A sheet not read whole is never half used: rows past the cap
        // would be reported missing when they are only unread.
        if grid.truncated {
            return Err(OpenError::TooManyCells {
                sheet: name.clone(),
                limit: crate::sheet::MAX_CELLS_PER_SHEET,
            });
        }
        let mut projects = if out.projects.is_none() {
            locate::find_project_table(&grid)
        } else {
            None
        };
        let mut table = None;
        if out.table.is_none() {
            let end = projects.as_ref().map_or(u32::MAX, |p| p.header.0);
            table = locate::find_table(&grid, end, words);
            // Only a header whose labels sit in covered parts of merged
            // ranges needs the merges, and one over two rows where which
            // columns a group spans may decide between two actual columns
            // (`上年同期` over `本月 | 本年累计`); loading them costs a
            // second pass over the sheet (a third more for such a file).
            let two_rows = table
                .as_ref()
                .is_some_and(|t| t.header.0 < t.header.1 && t.rivals);
            if (table.is_none() && !grid.is_empty()) || two_rows {
                let merges = book.merges(name);
                if !merges.is_empty() {
                    grid.set_merges(merges);
                    table = locate::find_table(&grid, end, words).or(table);
                }
            }
        }
        if let (Some(p), Some(t)) = (&mut projects, &table) {
            p.end_at(t.header.0);
        }
        let end = table
            .as_ref()
            .map(|t| t.header.0)
            .or(projects.as_ref().map(|p| p.header.0))
            .unwrap_or(u32::MAX);
        take_labels(&mut out, &grid, end, table.is_some(), words);
        if let Some(mut table) = table {
            out.title = locate::find_title(&grid, table.header.0, words);
            mark_uncached_formulas(&mut book, &mut table);
            out.table = Some(table);
        }
        if projects.is_some() {
            out.projects = projects;
        }
    }
    Ok(out)
}

/// A workbook's sheets as they are searched.
struct Sheets {
    /// The visible sheets, in the order they are searched.
    visible: Vec<String>,
    hidden: Vec<String>,
    /// The identity of a form of ours, which is read from its own sheet
    /// whatever other sheets the clerk added.
    template: Option<TemplateMeta>,
}

/// The sheets of `book` as they are searched (see [`Sheets`]).
///
/// # Errors
///
/// [`OpenError::NoSheets`] for a workbook without a worksheet.
fn sheets_to_search(book: &mut Book<'_>, words: &Vocabulary) -> Result<Sheets, OpenError> {
    let (mut visible, hidden) = book.worksheets();
    if visible.is_empty() && hidden.is_empty() {
        return Err(OpenError::NoSheets);
    }
    let template = template_meta(book, &[&visible[..], &hidden[..]].concat());
    if template.is_none() {
        period_first(&mut visible, words);
    }
    Ok(Sheets {
        visible,
        hidden,
        template,
    })
}

/// A workbook of one sheet per month (`1月`, `2月`, `3月`): the sheet
/// named for the period is searched first, and those named for another
/// after the rest, so that March is not read from January's sheet.
fn period_first(sheets: &mut [String], words: &Vocabulary) {
    if let Some(period) = words.period() {
        sheets.sort_by_key(|s| match named_month(s) {
            Some(named) if period.agrees_with(named) => 0,
            None => 1,
            Some(_) => 2,
        });
    }
}

/// The 填报单位 and 填报日期 lines above row `end` of `grid`: those above
/// the indicator table (`at_table`) always, those of another sheet only
/// while none was found.
fn take_labels(out: &mut Extract, grid: &Grid, end: u32, at_table: bool, words: &Vocabulary) {
    if (at_table || out.unit_label.is_none())
        && let Some(label) = locate::find_unit_label(grid, end, words)
    {
        out.unit_label = Some(label);
    }
    if (at_table || out.date_label.is_none())
        && let Some((date, label)) = locate::find_date_label(grid, end, words)
    {
        out.reported_at = date;
        out.date_label = Some(label);
    }
}

/// xls and ods report a formula without a saved result as an empty cell;
/// ask for the formulas of the empty actual cells so they are reported as
/// `formula_error`, not `missing_value`.
fn mark_uncached_formulas(book: &mut Book<'_>, table: &mut Table) {
    let empty: Vec<usize> = (0..table.rows.len())
        .filter(|&i| table.rows[i].actual == CellValue::Empty)
        .collect();
    if empty.is_empty() {
        return;
    }
    let cells: Vec<(u32, u32)> = empty
        .iter()
        .map(|&i| (table.rows[i].row, table.actual_col))
        .collect();
    for (i, f) in empty.into_iter().zip(book.formulas(&table.sheet, &cells)) {
        if let Some(f) = f {
            table.rows[i].actual = CellValue::UncachedFormula(f);
        }
    }
}

/// Opens a file for reading without following a symbolic link: an inbox
/// entry swapped for a link after it was listed is refused, not followed.
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::File::options();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path)
}

/// Reads one file: size check, hash, then [`extract`] with panics caught.
pub fn read_file(path: &Path, max_bytes: u64, words: &Vocabulary) -> FileRead {
    let not_read = |failure| FileRead {
        sha256: String::new(),
        result: Err(failure),
    };
    let bytes = match open_no_follow(path).and_then(|f| {
        let len = f.metadata()?.len();
        if len > max_bytes {
            return Ok(Err(len));
        }
        let mut buf = Vec::with_capacity(len as usize);
        f.take(max_bytes + 1).read_to_end(&mut buf)?;
        Ok(Ok(buf))
    }) {
        Ok(Ok(b)) => b,
        Ok(Err(len)) => {
            return not_read(ReadFailure::TooLarge {
                bytes: len,
                limit: max_bytes,
            });
        }
        Err(e) => return not_read(ReadFailure::Io(e.to_string())),
    };
    let sha256 = sha256_hex(&bytes);
    if let Err(excess) = limits::check(&bytes) {
        return FileRead {
            sha256,
            result: Err(ReadFailure::Excess(excess)),
        };
    }
    let claimed = path
        .extension()
        .and_then(|e| e.to_str())
        .and_then(Format::from_extension);
    let result = crate::errors::caught(|| extract(&bytes, claimed, words))
        .map_err(ReadFailure::Crashed)
        .and_then(|r| r.map_err(ReadFailure::Open));
    FileRead { sha256, result }
}

/// Reads every file of `paths`, in parallel, each result at its path's index.
pub fn read_all(paths: &[PathBuf], options: &ReadOptions) -> Vec<FileRead> {
    if let Some(p) = &options.progress {
        p.set_length(paths.len() as u64);
    }
    let tick = || {
        if let Some(p) = &options.progress {
            p.inc(1);
        }
    };
    match &options.isolation {
        Isolation::InProcess => paths
            .par_iter()
            .map(|p| {
                let read = read_file(p, options.max_bytes, &options.words);
                tick();
                read
            })
            .collect(),
        Isolation::Workers {
            exe,
            args,
            count,
            timeout,
            budget,
        } => {
            let how = supervise::Supervision {
                exe,
                args,
                count: *count,
                timeout: *timeout,
                budget: *budget,
                max_bytes: options.max_bytes,
                words: &options.words,
            };
            supervise::read_supervised(paths, &how, &tick)
        }
    }
}

/// The inbox as read: every file, and what reading it gave, in the same
/// order.
pub struct Inbox {
    pub files: Vec<InboxFile>,
    /// One per file; a file that is no workbook is not read, only hashed
    /// (when small enough) so that it too can be traced.
    pub reads: Vec<FileRead>,
}

/// Lists `dir` and reads every workbook in it, in parallel.
///
/// # Errors
///
/// The I/O error when the folder cannot be listed.
pub fn read_inbox(dir: &Path, options: &ReadOptions) -> std::io::Result<Inbox> {
    let files = list_inbox(dir)?;
    let workbook_paths: Vec<PathBuf> = files
        .iter()
        .filter(|f| f.claimed.is_some())
        .map(|f| f.path.clone())
        .collect();
    let mut workbooks = read_all(&workbook_paths, options).into_iter();
    let reads = files
        .iter()
        .map(|f| match (f.claimed, f.special) {
            (Some(_), _) => workbooks.next().expect("one read per workbook"),
            // Never opened: a link's target may be anyone's file.
            (None, Some(_)) => FileRead {
                sha256: String::new(),
                result: Err(ReadFailure::NotAWorkbook),
            },
            (None, None) => FileRead {
                sha256: hash_small_file(&f.path, options.max_bytes),
                result: Err(ReadFailure::NotAWorkbook),
            },
        })
        .collect();
    Ok(Inbox { files, reads })
}

/// The SHA-256 of a file that is no workbook; empty when it is too large
/// or unreadable.
fn hash_small_file(path: &Path, limit: u64) -> String {
    match std::fs::metadata(path) {
        Ok(m) if m.len() <= limit => crate::files::sha256_file(path).unwrap_or_default(),
        _ => String::new(),
    }
}

/// What an entry of the inbox folder is, when it is no regular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    Symlink,
    Folder,
    Pipe,
    Socket,
    Device,
    Other,
}

impl Special {
    /// What it is, for the clerk.
    pub fn label(self) -> &'static str {
        match self {
            Special::Symlink => "符号链接（快捷方式）",
            Special::Folder => "文件夹",
            Special::Pipe => "管道",
            Special::Socket => "套接字",
            Special::Device => "设备文件",
            Special::Other => "特殊文件",
        }
    }

    /// `None` for a regular file; never follows a link.
    fn of(t: std::fs::FileType) -> Option<Special> {
        if t.is_file() {
            return None;
        }
        if t.is_symlink() {
            return Some(Special::Symlink);
        }
        if t.is_dir() {
            return Some(Special::Folder);
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if t.is_fifo() {
                return Some(Special::Pipe);
            }
            if t.is_socket() {
                return Some(Special::Socket);
            }
            if t.is_block_device() || t.is_char_device() {
                return Some(Special::Device);
            }
        }
        Some(Special::Other)
    }
}

/// What an inbox file is.
#[derive(Debug, Clone)]
pub struct InboxFile {
    /// The file name, as shown in reports.
    pub name: String,
    pub path: PathBuf,
    pub modified: Option<SystemTime>,
    /// The spreadsheet format its ending claims; `None` for any other file
    /// (and for an entry that is no regular file).
    pub claimed: Option<Format>,
    /// Set for an entry that is no regular file: it is reported, and never
    /// opened or followed (CONTRACT.md section 5).
    pub special: Option<Special>,
}

/// Every entry of `dir`, sorted by name: regular files to read, and the
/// rest (links, folders, pipes ...) to be reported, never opened.
///
/// # Errors
///
/// The I/O error when the folder cannot be listed.
pub fn list_inbox(dir: &Path) -> std::io::Result<Vec<InboxFile>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        // The entry itself, not what a link points at.
        let meta = std::fs::symlink_metadata(&path).ok();
        let special = match &meta {
            Some(m) => Special::of(m.file_type()),
            None => Some(Special::Other),
        };
        // Excel's lock files (~$name.xlsx) carry a spreadsheet ending but
        // hold only the name of whoever has the workbook open.
        let claimed = if name.starts_with("~$") || special.is_some() {
            None
        } else {
            path.extension()
                .and_then(|e| e.to_str())
                .and_then(Format::from_extension)
        };
        files.push(InboxFile {
            name,
            path,
            modified: meta.and_then(|m| m.modified().ok()),
            claimed,
            special,
        });
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

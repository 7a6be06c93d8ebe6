//! The workbook toolkit the report, feedback and template rooms share: a
//! workbook made the same way for every output, a [`Sheet`] that writes
//! cells with shared formats (given in runs, not cell by cell) and sizes
//! its columns (and the rows of wrapped text) as they go in, and the print
//! setup every sheet gets.

pub mod style;
pub mod text;

use chrono::Datelike;
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
    XlsxError,
};

use crate::model::Period;
use style::HEADER_FILL;
pub use text::text_width;

/// Why a workbook could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Xlsx(#[from] XlsxError),
    /// A streamed sheet's temporary file could not be made (the system's
    /// temporary folder missing or closed to us) or written (a full disk:
    /// rust_xlsxwriter 0.102 panics there instead of returning the error,
    /// `flush_data_row` unwraps the write).
    #[error("写入临时文件夹 {} 时出错", dir.display())]
    Temporary {
        dir: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Any other panic inside the writer.
    #[error("生成工作簿的程序出错（{0}）")]
    Panicked(String),
}

/// Runs `build` (which makes a workbook's bytes), with rust_xlsxwriter's
/// panics turned into [`BuildError`]: a run on a full disk must end with
/// a sentence saying so, not a panic in English. Nothing is lost: the
/// streamed sheets' temporary files are already unlinked, and the output
/// file is only written after its bytes exist.
///
/// # Errors
///
/// [`BuildError`] from `build` or for a panic inside it.
pub fn build(build: impl FnOnce() -> Result<Vec<u8>, XlsxError>) -> Result<Vec<u8>, BuildError> {
    match crate::errors::caught(build) {
        // Said in Chinese, not in the writer's English.
        Ok(Err(XlsxError::TempFileError(dir, source))) => {
            Err(BuildError::Temporary { dir, source })
        }
        Ok(built) => Ok(built?),
        Err(text) => Err(panic_error(&text)),
    }
}

/// The error a writer's panic text stands for: rust_xlsxwriter's text of
/// a failed temporary write ends in the system error's Debug form
/// (`Os { code: 28, kind: StorageFull, .. }`), whose code gives the
/// system's reason back.
fn panic_error(text: &str) -> BuildError {
    let code = text
        .split_once("Os { code: ")
        .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse::<i32>().ok());
    match code {
        Some(code) => BuildError::Temporary {
            dir: std::env::temp_dir(),
            source: std::io::Error::from_raw_os_error(code),
        },
        None => BuildError::Panicked(text.to_string()),
    }
}

/// Text for a page header, where `&` starts a code: doubled, it prints
/// itself.
fn header_text(s: &str) -> String {
    s.replace('&', "&&")
}

/// A date as Excel holds it.
///
/// # Errors
///
/// [`XlsxError`] for a date Excel cannot hold (before 1900).
pub fn excel_date(d: chrono::NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    let year = u16::try_from(d.year()).map_err(|_| XlsxError::DateTimeRangeError(d.to_string()))?;
    ExcelDateTime::from_ymd(year, d.month() as u8, d.day() as u8)
}

/// A new workbook for one period's outputs, by `author` (the bureau):
/// quick packing (level 1 deflate halves the packing time of the default
/// for a few percent larger files, bench/run.sh), and the period's end as
/// creation time, so the same inputs give the same bytes.
///
/// # Errors
///
/// [`XlsxError`] only for a period Excel cannot date.
pub fn new_workbook(period: Period, title: &str, author: &str) -> Result<Workbook, XlsxError> {
    let created = excel_date(period.end_date())?;
    let mut wb = Workbook::new();
    wb.set_zip_compression_level(1);
    wb.set_properties(
        &DocProperties::new()
            .set_title(title)
            .set_subject(format!("期别 {period}"))
            .set_author(author)
            .set_creation_datetime(&created),
    );
    Ok(wb)
}

/// A4 landscape, one page wide: how every sheet prints.
pub fn print_a4_landscape(ws: &mut Worksheet) {
    ws.set_landscape();
    ws.set_paper_size(9); // A4
    ws.set_print_fit_to_pages(1, 0);
}

/// A worksheet being written, remembering column widths as cells go in.
///
/// Cells go in bare and get their format in runs: rust_xlsxwriter hashes
/// the whole [`Format`] (font, borders, fill, number format) for every cell
/// written with one, which was a sixth of `tally run`'s time (issue 15).
/// A column's cells in one format, one below the other, get it in a single
/// `set_range_format` call, so one hash per run. A streamed sheet's row is
/// written out as soon as a later row begins, so there the runs are the
/// cells of one row, side by side.
pub struct Sheet<'a> {
    ws: &'a mut Worksheet,
    widths: Vec<f64>,
    /// The plain bordered cell format, for callers that derive their own.
    pub cell: Format,
    pub header: Format,
    /// The formats cells get: the text format first, then those made so
    /// far by fill and number format (a handful per sheet, so a short list
    /// beats hashing a key for every cell), each with its key in `kinds`.
    styles: Vec<Format>,
    kinds: Vec<(Option<Color>, &'static str)>,
    /// The run of cells of each column still waiting for its format.
    open: Vec<Option<Run>>,
    /// Rows and columns spanned by the cells written with a value: the
    /// writer sizes the sheet by those, so a blank cell outside them is
    /// written with its format at once, not left to a run.
    spanned: Option<Area>,
    /// The row being written and the lines its tallest wrapped cell needs.
    tallest: Option<(u32, u32)>,
    /// Streamed row by row (see [`Sheet::new`]).
    streamed: bool,
    /// The last row written through this sheet, and the last given a
    /// height of its own.
    last_row: u32,
    sized_row: Option<u32>,
}

/// Cells `first..=last` of a column, all to be given `styles[style]`.
#[derive(Clone, Copy, PartialEq)]
struct Run {
    first: u32,
    last: u32,
    style: usize,
}

/// Rows `rows.0..=rows.1` by columns `cols.0..=cols.1`.
#[derive(Clone, Copy)]
struct Area {
    rows: (u32, u32),
    cols: (u16, u16),
}

impl Area {
    fn at(row: u32, col: u16) -> Area {
        Area {
            rows: (row, row),
            cols: (col, col),
        }
    }

    fn grown(self, row: u32, col: u16) -> Area {
        Area {
            rows: (self.rows.0.min(row), self.rows.1.max(row)),
            cols: (self.cols.0.min(col), self.cols.1.max(col)),
        }
    }

    fn holds(&self, row: u32, col: u16) -> bool {
        (self.rows.0..=self.rows.1).contains(&row) && (self.cols.0..=self.cols.1).contains(&col)
    }
}

/// The text format's place in [`Sheet::styles`].
const TEXT: usize = 0;

impl<'a> Sheet<'a> {
    /// A sheet; a `streamed` one goes to a temporary file row by row, so
    /// its rows must be written in order (a row left is final). Streamed
    /// are the long lists (one row per task or issue, possibly hundreds of
    /// thousands), so that memory stays flat however large the county
    /// (bench/run.sh 10000), and the feedback workbooks' sheets, written
    /// top to bottom: rust_xlsxwriter assembles every sheet held in memory
    /// on a thread of its own at each save while the saving thread waits,
    /// which for a thousand small workbooks left the cores idle between
    /// thread starts (`run` 1.70 s against 1.46 s streamed, issue 15).
    ///
    /// # Errors
    ///
    /// [`XlsxError`] for a name Excel refuses.
    pub fn new(
        wb: &'a mut Workbook,
        name: &str,
        title: &str,
        streamed: bool,
    ) -> Result<Sheet<'a>, XlsxError> {
        let ws = if streamed {
            wb.add_worksheet_with_low_memory()?
        } else {
            wb.add_worksheet()
        };
        ws.set_name(name)?;
        print_a4_landscape(ws);
        // The sheet's name under the title on every page: printed, the
        // sheets are otherwise told apart by nothing, and the pages point
        // to each other by name (详见“预警”工作表).
        ws.set_header(format!(
            "&C&\"-,Bold\"{}　{}",
            header_text(title),
            header_text(name)
        ));
        ws.set_footer("&C第 &P 页，共 &N 页");
        let cell = Format::new()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::VerticalCenter);
        let header = Format::new()
            .set_bold()
            .set_border(FormatBorder::Thin)
            .set_background_color(HEADER_FILL)
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter)
            .set_text_wrap();
        Ok(Sheet {
            ws,
            widths: Vec::new(),
            styles: vec![cell.clone().set_align(FormatAlign::Left).set_indent(1)],
            kinds: vec![(None, "@text")],
            cell,
            header,
            open: Vec::new(),
            spanned: None,
            tallest: None,
            streamed,
            last_row: 0,
            sized_row: None,
        })
    }

    /// Makes column `col` at least `width` wide (at most 60).
    pub fn widen(&mut self, col: u16, width: f64) {
        let c = col as usize;
        if self.widths.len() <= c {
            self.widths.resize(c + 1, 6.0);
        }
        self.widths[c] = self.widths[c].max(width.min(60.0));
    }

    /// The width of columns `first..=last` so far (a merged range's), for
    /// sizing the rows of text wrapped in it: columns only grow, so a row
    /// sized by it never shows less than its text.
    pub fn width_of(&self, first: u16, last: u16) -> f64 {
        (first..=last)
            .map(|c| self.widths.get(c as usize).copied().unwrap_or(6.0))
            .sum()
    }

    /// Sets column `col` to exactly `width`, past the cap of [`Sheet::widen`]
    /// (for a column whose every value must show whole).
    pub fn fit(&mut self, col: u16, width: f64) {
        let c = col as usize;
        if self.widths.len() <= c {
            self.widths.resize(c + 1, 6.0);
        }
        self.widths[c] = width;
    }

    /// Header cells at `row` (for a table that is not the sheet's main one).
    ///
    /// # Errors
    ///
    /// [`XlsxError`] from the writer.
    pub fn header_cells(&mut self, row: u32, names: &[&str]) -> Result<(), XlsxError> {
        self.entering(row)?;
        self.apply_all()?;
        for (c, name) in names.iter().enumerate() {
            let c = c as u16;
            self.ws
                .write_string_with_format(row, c, *name, &self.header)?;
            self.spans(row, c);
            self.widen(c, text_width(name).min(16.0) + 2.0);
        }
        self.ws.set_row_height(row, 30)?;
        self.sized_row = Some(row);
        Ok(())
    }

    /// A header row at `row`, frozen and repeated on every printed page.
    ///
    /// # Errors
    ///
    /// [`XlsxError`] from the writer.
    pub fn header_row(&mut self, row: u32, names: &[&str]) -> Result<(), XlsxError> {
        self.header_cells(row, names)?;
        self.ws.set_freeze_panes(row + 1, 0)?;
        self.ws.set_repeat_rows(row, row)?;
        Ok(())
    }

    /// The worksheet itself, for what the sheet has no method for (titles,
    /// merged ranges, notes, charts). Formats still owed to cells written
    /// so far are given first, so a cell written here keeps its own.
    ///
    /// # Errors
    ///
    /// [`XlsxError`] from the writer.
    pub fn ws(&mut self) -> Result<&mut Worksheet, XlsxError> {
        self.apply_all()?;
        Ok(self.ws)
    }

    /// A text cell; the column grows to fit it.
    ///
    /// # Errors
    ///
    /// [`XlsxError`] from the writer.
    pub fn text(&mut self, row: u32, col: u16, s: &str) -> Result<(), XlsxError> {
        self.string(row, col, s, TEXT)?;
        self.widen(col, text_width(s) + 3.0);
        Ok(())
    }

    /// A long text wrapped in a column `width` wide; the row grows to show
    /// every line (wrapped rows are sized by the writer, not the reader).
    ///
    /// # Errors
    ///
    /// [`XlsxError`] from the writer.
    pub fn wrapped(&mut self, row: u32, col: u16, s: &str, width: f64) -> Result<(), XlsxError> {
        let style = self.style(None, "@wrap");
        self.string(row, col, s, style)?;
        self.widen(col, width);
        let lines = text::wrapped_lines(s, width);
        let lines = match self.tallest {
            Some((r, l)) if r == row => l.max(lines),
            _ => lines,
        };
        self.tallest = Some((row, lines));
        if lines > 1 {
            self.ws.set_row_height(row, text::row_height(lines))?;
            self.sized_row = Some(row);
        }
        Ok(())
    }

    /// A text cell filled with a colour, centred.
    ///
    /// # Errors
    ///
    /// [`XlsxError`] from the writer.
    pub fn filled(&mut self, row: u32, col: u16, s: &str, fill: Color) -> Result<(), XlsxError> {
        let style = self.style(Some(fill), "");
        self.string(row, col, s, style)?;
        self.widen(col, text_width(s) + 2.0);
        Ok(())
    }

    /// A number in `num_format`, or a blank bordered cell for none.
    ///
    /// # Errors
    ///
    /// [`XlsxError`] from the writer.
    pub fn number(
        &mut self,
        row: u32,
        col: u16,
        v: Option<f64>,
        num_format: &'static str,
    ) -> Result<(), XlsxError> {
        self.number_filled(row, col, v, num_format, None)
    }

    /// [`Sheet::number`] on a coloured fill (`None`: plain).
    ///
    /// # Errors
    ///
    /// [`XlsxError`] from the writer.
    pub fn number_filled(
        &mut self,
        row: u32,
        col: u16,
        v: Option<f64>,
        num_format: &'static str,
        fill: Option<Color>,
    ) -> Result<(), XlsxError> {
        let style = self.style(fill, num_format);
        match v {
            Some(v) => {
                self.place(row, col, style)?;
                self.ws.write_number(row, col, v)?;
                self.spans(row, col);
                // A difference in points ends in four CJK characters.
                let width = if num_format == style::POINTS {
                    14.0
                } else {
                    12.0
                };
                self.widen(col, width);
            }
            None => self.blank(row, col, style)?,
        }
        Ok(())
    }

    /// Sets the column widths gathered while writing.
    ///
    /// # Errors
    ///
    /// [`XlsxError`] from the writer.
    pub fn finish(mut self) -> Result<(), XlsxError> {
        self.apply_all()?;
        for (c, w) in self.widths.iter().enumerate() {
            self.ws.set_column_width(c as u16, *w)?;
        }
        // rust_xlsxwriter 0.102 writes a streamed sheet's last row twice
        // when that row has a height of its own (its last flush repeats the
        // row's options), and Excel repairs a workbook with a repeated row.
        // An empty cell below makes that row an ordinary, flushed one.
        if self.streamed && self.sized_row == Some(self.last_row) {
            self.ws.write_blank(self.last_row + 1, 0, &Format::new())?;
        }
        Ok(())
    }

    /// A string cell in `styles[style]`; an empty one is a blank cell.
    fn string(&mut self, row: u32, col: u16, s: &str, style: usize) -> Result<(), XlsxError> {
        if s.is_empty() {
            return self.blank(row, col, style);
        }
        self.place(row, col, style)?;
        self.ws.write_string(row, col, s)?;
        self.spans(row, col);
        Ok(())
    }

    /// A blank cell in `styles[style]`: left to its run inside the rows and
    /// columns the sheet spans already (a run makes it), else written now.
    fn blank(&mut self, row: u32, col: u16, style: usize) -> Result<(), XlsxError> {
        if self.spanned.is_some_and(|a| a.holds(row, col)) {
            self.place(row, col, style)?;
            // A value written there before goes, as a written blank would
            // replace it; the run then makes the blank cell.
            self.ws.clear_cell(row, col);
            Ok(())
        } else {
            self.entering(row)?;
            self.ws.write_blank(row, col, &self.styles[style])?;
            self.spans(row, col);
            Ok(())
        }
    }

    /// Notes that `(row, col)`, about to be written bare, is owed
    /// `styles[style]`: the cell joins its column's run or starts one.
    fn place(&mut self, row: u32, col: u16, style: usize) -> Result<(), XlsxError> {
        self.entering(row)?;
        let c = col as usize;
        if self.open.len() <= c {
            self.open.resize(c + 1, None);
        }
        match self.open[c] {
            Some(run) if run.style == style && run.first <= row && row <= run.last + 1 => {
                self.open[c] = Some(Run {
                    last: run.last.max(row),
                    ..run
                });
            }
            before => {
                if let Some(run) = before {
                    self.apply(col, col, run)?;
                }
                self.open[c] = Some(Run {
                    first: row,
                    last: row,
                    style,
                });
            }
        }
        Ok(())
    }

    /// Before a cell of `row` is written: notes the row, and as a streamed
    /// row leaves memory as soon as a later row is written, gives the
    /// formats it is owed before. A write to a row already left would be
    /// dropped by the writer (with a line on stderr): it is refused
    /// instead.
    fn entering(&mut self, row: u32) -> Result<(), XlsxError> {
        if self.streamed && row < self.last_row {
            return Err(XlsxError::ParameterError(format!(
                "streamed sheet: row {row} written after row {}",
                self.last_row
            )));
        }
        self.last_row = self.last_row.max(row);
        if self.streamed && self.open.iter().flatten().any(|r| r.last != row) {
            self.apply_all()?;
        }
        Ok(())
    }

    /// Gives every waiting run its format, neighbouring columns with the
    /// same rows and format in one range.
    fn apply_all(&mut self) -> Result<(), XlsxError> {
        let mut col = 0;
        while col < self.open.len() {
            let Some(run) = self.open[col].take() else {
                col += 1;
                continue;
            };
            let mut last = col;
            while last + 1 < self.open.len() && self.open[last + 1] == Some(run) {
                last += 1;
                self.open[last] = None;
            }
            self.apply(col as u16, last as u16, run)?;
            col = last + 1;
        }
        Ok(())
    }

    fn apply(&mut self, first_col: u16, last_col: u16, run: Run) -> Result<(), XlsxError> {
        self.ws.set_range_format(
            run.first,
            first_col,
            run.last,
            last_col,
            &self.styles[run.style],
        )?;
        Ok(())
    }

    /// The place in [`Sheet::styles`] of the cell format with a fill or a
    /// number format, made on first use (cloning a Format for every cell
    /// dominated the time of large sheets). The number format `@wrap`
    /// stands for wrapped text.
    fn style(&mut self, fill: Option<Color>, num_format: &'static str) -> usize {
        if let Some(k) = self.kinds.iter().position(|k| *k == (fill, num_format)) {
            return k;
        }
        let cell = &self.cell;
        let format = match (fill, num_format) {
            (Some(fill), "") => cell
                .clone()
                .set_background_color(fill)
                .set_align(FormatAlign::Center),
            (Some(fill), _) => cell
                .clone()
                .set_background_color(fill)
                .set_num_format(num_format),
            (None, "@wrap") => cell.clone().set_text_wrap().set_indent(1),
            (None, _) => cell.clone().set_num_format(num_format),
        };
        self.styles.push(format);
        self.kinds.push((fill, num_format));
        self.styles.len() - 1
    }

    /// Notes a cell written with a value.
    fn spans(&mut self, row: u32, col: u16) {
        self.spanned = Some(match self.spanned {
            Some(a) => a.grown(row, col),
            None => Area::at(row, col),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;
    use std::collections::BTreeMap;
    use std::io::Read;

    #[test]
    fn a_streamed_sheet_refuses_a_row_it_has_left() {
        let mut wb = Workbook::new();
        let mut s = Sheet::new(&mut wb, "表", "表", true).unwrap();
        s.text(3, 0, "甲").unwrap();
        s.text(3, 1, "同一行").unwrap();
        s.text(5, 0, "乙").unwrap();
        // The writer would drop it, the sheet says so.
        assert!(matches!(
            s.text(4, 0, "丙"),
            Err(XlsxError::ParameterError(_))
        ));
        let mut wb = Workbook::new();
        let mut s = Sheet::new(&mut wb, "表", "表", false).unwrap();
        s.text(5, 0, "乙").unwrap();
        s.text(4, 0, "丙").unwrap();
    }

    #[test]
    fn an_ampersand_in_a_page_header_prints_itself() {
        // `&P` would print the page number, `&B` turn bold on.
        assert_eq!(header_text("A&B统计局&P"), "A&&B统计局&&P");
        assert_eq!(header_text("预警"), "预警");
    }

    #[test]
    fn a_writer_panic_becomes_a_sentence() {
        // The form of rust_xlsxwriter's panic on a full disk: `expect` on
        // the write's io::Result.
        let full = std::io::Error::from_raw_os_error(28);
        let e = build(|| panic!("Couldn't write to xml file: {full:?}")).unwrap_err();
        assert!(matches!(&e, BuildError::Temporary { source, .. }
            if source.kind() == std::io::ErrorKind::StorageFull));
        let said = crate::errors::chain(&e);
        assert!(said.contains("临时文件夹"), "{said}");
        assert!(said.ends_with("磁盘已满，请清理磁盘空间后重试"), "{said}");
        let e = build(|| panic!("index out of bounds")).unwrap_err();
        assert!(crate::errors::chain(&e).contains("index out of bounds"));
        assert_eq!(build(|| Ok(vec![1])).unwrap(), vec![1]);
        // A temporary file that cannot be made reads the same way.
        let gone = std::io::Error::from(std::io::ErrorKind::NotFound);
        let e = build(|| Err(XlsxError::TempFileError("/无此目录".into(), gone))).unwrap_err();
        assert_eq!(
            crate::errors::chain(&e),
            "写入临时文件夹 /无此目录 时出错：找不到该文件或文件夹，请检查路径"
        );
        assert!(matches!(
            build(|| Err(XlsxError::MergeRangeSingleCell)),
            Err(BuildError::Xlsx(_))
        ));
    }

    /// One cell write, as a caller makes it.
    #[derive(Clone, Copy)]
    enum Put {
        Text(u32, u16, &'static str),
        Number(u32, u16, Option<f64>, &'static str, Option<Color>),
        Filled(u32, u16, &'static str, Color),
        /// Written on the worksheet directly, bold.
        Direct(u32, u16, &'static str),
    }

    const RED: Color = Color::RGB(0xFF_C7CE);
    const BLUE: Color = Color::RGB(0xBD_D7EE);

    /// A table's worth of writes: runs down columns broken by other
    /// formats, a cell written twice in different formats, blank cells
    /// inside and outside what the values span, and direct writes over
    /// cells written through the sheet.
    fn puts(streamed: bool) -> Vec<Put> {
        let mut p = Vec::new();
        for row in 1..9u32 {
            p.push(Put::Text(row, 0, "单位"));
            let v = (row % 3 != 0).then_some(f64::from(row) * 1.5);
            p.push(Put::Number(row, 1, v, "#,##0.00", None));
            let fill = if row % 4 == 0 { Some(RED) } else { None };
            p.push(Put::Number(row, 2, Some(0.25), "0.0%", fill));
            p.push(Put::Filled(
                row,
                3,
                if row == 5 { "" } else { "滞后" },
                BLUE,
            ));
            p.push(Put::Text(row, 4, if row % 2 == 0 { "" } else { "说明" }));
            if row == 6 {
                p.push(Put::Filled(row, 1, "未采用", RED));
                p.push(Put::Direct(row, 0, "改"));
                // Blank cells over values written before.
                p.push(Put::Text(row, 4, ""));
                p.push(Put::Number(row, 2, None, "0.0%", None));
            }
        }
        // Blank cells past the rows and the columns written so far.
        p.push(Put::Number(9, 2, None, "0.0%", None));
        // Back to a row left before: a streamed sheet refuses that
        // (a_streamed_sheet_refuses_a_row_it_has_left).
        if !streamed {
            p.push(Put::Number(4, 6, None, "0", None));
        }
        p.push(Put::Text(10, 0, "合计"));
        p
    }

    /// The sheet's cells (value XML and the format each resolves to), from
    /// `puts` written through [`Sheet`] or, as the reference, cell by cell
    /// with their formats.
    fn written(through_sheet: bool, streamed: bool) -> BTreeMap<String, (String, String)> {
        let mut wb = Workbook::new();
        let mut s = Sheet::new(&mut wb, "表", "表", streamed).unwrap();
        let bold = Format::new().set_bold();
        for put in puts(streamed) {
            if through_sheet {
                match put {
                    Put::Text(r, c, t) => s.text(r, c, t),
                    Put::Number(r, c, v, f, fill) => s.number_filled(r, c, v, f, fill),
                    Put::Filled(r, c, t, fill) => s.filled(r, c, t, fill),
                    Put::Direct(r, c, t) => s
                        .ws()
                        .and_then(|ws| ws.write_string_with_format(r, c, t, &bold).map(|_| ())),
                }
                .unwrap();
                continue;
            }
            let (r, c, style) = match put {
                Put::Text(r, c, _) => (r, c, Some(TEXT)),
                Put::Number(r, c, _, f, fill) => (r, c, Some(s.style(fill, f))),
                Put::Filled(r, c, _, fill) => (r, c, Some(s.style(Some(fill), ""))),
                Put::Direct(r, c, _) => (r, c, None),
            };
            let format = style.map_or(bold.clone(), |k| s.styles[k].clone());
            match put {
                Put::Number(_, _, Some(v), ..) => s.ws.write_number_with_format(r, c, v, &format),
                Put::Number(_, _, None, ..) => s.ws.write_blank(r, c, &format),
                Put::Text(_, _, t) | Put::Filled(_, _, t, _) | Put::Direct(_, _, t) => {
                    s.ws.write_string_with_format(r, c, t, &format)
                }
            }
            .unwrap();
        }
        s.finish().unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        cells_with_formats(&bytes)
    }

    fn part(bytes: &[u8], name: &str) -> String {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut text = String::new();
        zip.by_name(name)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text
    }

    /// Each cell of the first sheet: its value XML and its format spelled
    /// out (number format, font, fill, border, alignment), so that two
    /// workbooks whose formats were registered in another order compare.
    fn cells_with_formats(bytes: &[u8]) -> BTreeMap<String, (String, String)> {
        let sheet = part(bytes, "xl/worksheets/sheet1.xml");
        let styles = part(bytes, "xl/styles.xml");
        let list = |tag: &str| -> Vec<String> {
            let block = &styles[styles.find(&format!("<{tag}s")).unwrap()..];
            let block = &block[..block.find(&format!("</{tag}s>")).unwrap()];
            Regex::new(&format!(r"<{tag}(?: [^>]*)?(?:/>|>.*?</{tag}>)"))
                .unwrap()
                .find_iter(block)
                .map(|m| m.as_str().to_string())
                .collect()
        };
        let (fonts, fills, borders, xfs) = (list("font"), list("fill"), list("border"), {
            let block = &styles[styles.find("<cellXfs").unwrap()..];
            Regex::new(r"<xf [^>]*?(?:/>|>.*?</xf>)")
                .unwrap()
                .find_iter(block)
                .map(|m| m.as_str().to_string())
                .collect::<Vec<_>>()
        });
        let id = |xf: &str, key: &str| -> usize {
            Regex::new(&format!(r#"{key}="(\d+)""#))
                .unwrap()
                .captures(xf)
                .unwrap()[1]
                .parse()
                .unwrap()
        };
        let resolve = |s: usize| -> String {
            let xf = &xfs[s];
            let num = id(xf, "numFmtId");
            let code = Regex::new(&format!(r#"numFmtId="{num}" formatCode="([^"]*)""#))
                .unwrap()
                .captures(&styles)
                .map_or(num.to_string(), |c| c[1].to_string());
            let align = xf.find("<alignment").map_or("", |k| &xf[k..]);
            format!(
                "{code} {} {} {} {align}",
                fonts[id(xf, "fontId")],
                fills[id(xf, "fillId")],
                borders[id(xf, "borderId")]
            )
        };
        Regex::new(r#"<c r="([A-Z]+\d+)"([^>]*?)(?:/>|>(.*?)</c>)"#)
            .unwrap()
            .captures_iter(&sheet)
            .map(|c| {
                let s = Regex::new(r#"s="(\d+)""#)
                    .unwrap()
                    .captures(&c[2])
                    .map_or(0, |s| s[1].parse().unwrap());
                let value = c.get(3).map_or("", |v| v.as_str()).to_string();
                (c[1].to_string(), (value, resolve(s)))
            })
            .collect()
    }

    #[test]
    fn cells_get_the_formats_they_were_written_with() {
        for streamed in [false, true] {
            let reference = written(false, streamed);
            let sheet = written(true, streamed);
            // The test's own premise: fills, number formats and blanks.
            assert!(reference.len() > 40, "{reference:?}");
            assert!(
                reference["B7"].1.contains("FFC7CE"),
                "{:?}",
                reference["B7"]
            );
            assert!(reference["A7"].1.contains("<b/>"), "{:?}", reference["A7"]);
            assert_eq!(
                reference["C10"].0, "",
                "a blank cell below the rows written"
            );
            for (cell, want) in &reference {
                assert_eq!(sheet.get(cell), Some(want), "{cell} (streamed: {streamed})");
            }
            assert_eq!(sheet.len(), reference.len(), "streamed: {streamed}");
        }
    }
}

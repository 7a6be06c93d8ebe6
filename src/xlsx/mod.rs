//! The workbook toolkit the report, feedback and template rooms share: a
//! workbook made the same way for every output, a [`Sheet`] that writes
//! cells with shared formats and sizes its columns (and the rows of wrapped
//! text) as they go in, and the print setup every sheet gets.

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
pub struct Sheet<'a> {
    pub ws: &'a mut Worksheet,
    widths: Vec<f64>,
    /// The plain bordered cell format, for callers that derive their own.
    pub cell: Format,
    /// Text: as `cell`, indented, so that it never runs into a number in
    /// the column before it.
    text: Format,
    pub header: Format,
    /// The cell formats made so far, by fill and number format: a handful
    /// per sheet, so a short list beats hashing a key for every cell.
    formats: Vec<(Option<Color>, &'static str, Format)>,
    /// The row being written and the lines its tallest wrapped cell needs.
    tallest: Option<(u32, u32)>,
    /// Streamed row by row (see [`Sheet::new`]).
    long: bool,
    /// The last row written through this sheet, and the last given a
    /// height of its own.
    last_row: u32,
    sized_row: Option<u32>,
}

impl<'a> Sheet<'a> {
    /// A sheet; a `long` one (one row per task or issue, possibly hundreds
    /// of thousands) is streamed to a temporary file row by row, so memory
    /// stays flat however large the county (bench/run.sh 10000).
    ///
    /// # Errors
    ///
    /// [`XlsxError`] for a name Excel refuses.
    pub fn new(
        wb: &'a mut Workbook,
        name: &str,
        title: &str,
        long: bool,
    ) -> Result<Sheet<'a>, XlsxError> {
        let ws = if long {
            wb.add_worksheet_with_low_memory()?
        } else {
            wb.add_worksheet()
        };
        ws.set_name(name)?;
        print_a4_landscape(ws);
        ws.set_header(format!("&C&\"-,Bold\"{title}"));
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
            text: cell.clone().set_align(FormatAlign::Left).set_indent(1),
            cell,
            header,
            formats: Vec::new(),
            tallest: None,
            long,
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
        for (c, name) in names.iter().enumerate() {
            let c = c as u16;
            self.ws
                .write_string_with_format(row, c, *name, &self.header)?;
            self.widen(c, text_width(name).min(16.0) + 2.0);
        }
        self.saw(row);
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

    /// A text cell; the column grows to fit it.
    ///
    /// # Errors
    ///
    /// [`XlsxError`] from the writer.
    pub fn text(&mut self, row: u32, col: u16, s: &str) -> Result<(), XlsxError> {
        self.saw(row);
        self.ws.write_string_with_format(row, col, s, &self.text)?;
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
        self.saw(row);
        let f = cached(&mut self.formats, &self.cell, None, "@wrap");
        self.ws.write_string_with_format(row, col, s, f)?;
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
        self.saw(row);
        let f = cached(&mut self.formats, &self.cell, Some(fill), "");
        self.ws.write_string_with_format(row, col, s, f)?;
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
        self.saw(row);
        let f = cached(&mut self.formats, &self.cell, fill, num_format);
        match v {
            Some(v) => {
                self.ws.write_number_with_format(row, col, v, f)?;
                self.widen(col, 12.0);
            }
            None => {
                self.ws.write_blank(row, col, f)?;
            }
        }
        Ok(())
    }

    /// Sets the column widths gathered while writing.
    ///
    /// # Errors
    ///
    /// [`XlsxError`] from the writer.
    pub fn finish(self) -> Result<(), XlsxError> {
        for (c, w) in self.widths.iter().enumerate() {
            self.ws.set_column_width(c as u16, *w)?;
        }
        // rust_xlsxwriter 0.102 writes a streamed sheet's last row twice
        // when that row has a height of its own (its last flush repeats the
        // row's options), and Excel repairs a workbook with a repeated row.
        // An empty cell below makes that row an ordinary, flushed one.
        if self.long && self.sized_row == Some(self.last_row) {
            self.ws.write_blank(self.last_row + 1, 0, &Format::new())?;
        }
        Ok(())
    }

    fn saw(&mut self, row: u32) {
        self.last_row = self.last_row.max(row);
    }
}

/// The cell format with a fill or a number format, built once per kind:
/// cloning a Format for every cell dominated the time of large sheets.
/// The number format `@wrap` stands for wrapped text.
fn cached<'f>(
    formats: &'f mut Vec<(Option<Color>, &'static str, Format)>,
    cell: &Format,
    fill: Option<Color>,
    num_format: &'static str,
) -> &'f Format {
    let found = formats
        .iter()
        .position(|(f, n, _)| *f == fill && *n == num_format);
    let k = found.unwrap_or_else(|| {
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
        formats.push((fill, num_format, format));
        formats.len() - 1
    });
    &formats[k].2
}

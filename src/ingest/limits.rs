//! What a workbook may cost before it is read (CONTRACT.md section 5,
//! `too_large`). A zip-based workbook (xlsx, xlsb, ods) is judged by the
//! sizes its directory declares, before anything is inflated; an ODS sheet
//! by the cells its XML declares (a 928-byte file can declare 49 million),
//! read as a stream. Both take a fraction of a second whatever the file.

use std::io::{BufReader, Cursor, Read};

use quick_xml::events::{BytesStart, Event};
use serde::{Deserialize, Serialize};

/// No part may inflate to more than this many times its packed size. Real
/// workbooks stay under 140× for a part (measured on the 1,275 zip-based
/// files of the corpus, median 2×); deflate cannot pack much past 685×,
/// where zip bombs sit.
pub const MAX_PART_RATIO: u64 = 300;
/// Nor the whole archive more than this many times the file (corpus: at
/// most 100×).
pub const MAX_TOTAL_RATIO: u64 = 200;
/// Ratios are not judged below these sizes: a tiny part packs well.
const RATIO_FLOOR: u64 = 8 << 20;
/// And nothing inflates past this, whatever the ratios.
pub const MAX_INFLATED: u64 = 1 << 30;
/// The most cells an ODS sheet may declare (as many as one submission
/// sheet may hold).
pub const MAX_DECLARED_CELLS: u64 = crate::sheet::MAX_CELLS_PER_SHEET as u64;

/// Why a file is too large to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Excess {
    /// The archive (or one part) would inflate past a limit.
    Inflates { declared: u64, packed: u64 },
    /// An ODS sheet declares more cells than a sheet may hold.
    Cells { sheet: String, declared: u64 },
}

impl Excess {
    /// What is wrong and what to do, for the clerk.
    pub fn message(&self) -> String {
        match self {
            Excess::Inflates { declared, packed } => format!(
                "文件解压后将达 {:.0} MB（压缩时 {:.1} MB），超过允许的倍数（单个部件 {MAX_PART_RATIO} 倍、整个文件 {MAX_TOTAL_RATIO} 倍，最多 {} MB），未读取；请用 Excel 或 WPS 打开后另存为 .xlsx 再报送",
                *declared as f64 / 1048576.0,
                *packed as f64 / 1048576.0,
                MAX_INFLATED >> 20
            ),
            Excess::Cells { sheet, declared } => format!(
                "工作表“{sheet}”声明了 {declared} 个单元格，超过一张报表最多 {MAX_DECLARED_CELLS} 个的上限，未读取；请删除多余的行列后另存再报送"
            ),
        }
    }
}

/// Judges a workbook's bytes before they are read: `Err` when reading
/// them would cost too much. A file that is no zip is not judged here.
///
/// # Errors
///
/// [`Excess`] naming what is too large.
pub fn check(bytes: &[u8]) -> Result<(), Excess> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    let packed = bytes.len() as u64;
    let mut total: u64 = 0;
    for k in 0..zip.len() {
        let Ok(part) = zip.by_index_raw(k) else {
            continue;
        };
        let (size, compressed) = (part.size(), part.compressed_size().max(1));
        total = total.saturating_add(size);
        if size > RATIO_FLOOR && size / compressed > MAX_PART_RATIO {
            return Err(Excess::Inflates {
                declared: size,
                packed,
            });
        }
    }
    if total > MAX_INFLATED || total > RATIO_FLOOR && total / packed.max(1) > MAX_TOTAL_RATIO {
        return Err(Excess::Inflates {
            declared: total,
            packed,
        });
    }
    match zip.by_name("content.xml") {
        Ok(content) => ods_cells(BufReader::new(content)),
        Err(_) => Ok(()),
    }
}

/// A number attribute of an element, 1 when absent.
fn repeated(e: &BytesStart<'_>, name: &str) -> u64 {
    e.try_get_attribute(name)
        .ok()
        .flatten()
        .and_then(|a| a.value.trim().parse().ok())
        .unwrap_or(1)
}

/// Streams an ODS `content.xml`, counting per sheet the cells with a value
/// its rows and columns declare (repeats multiplied out, as a reader would
/// fill them in); empty cells, however many, cost nothing.
fn ods_cells(content: impl Read) -> Result<(), Excess> {
    let mut reader = quick_xml::Reader::from_reader(BufReader::new(content));
    let mut buf = Vec::new();
    let (mut sheet, mut cells, mut rows_repeated, mut row_cells) =
        (String::new(), 0u64, 1u64, 0u64);
    loop {
        let event = match reader.read_event_into(&mut buf) {
            Ok(Event::Eof) | Err(_) => return Ok(()),
            Ok(e) => e,
        };
        match &event {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                "table:table" => {
                    sheet = e
                        .try_get_attribute("table:name")
                        .ok()
                        .flatten()
                        .map(|a| a.value.into_owned())
                        .unwrap_or_default();
                    cells = 0;
                }
                "table:table-row" => {
                    rows_repeated = repeated(e, "table:number-rows-repeated");
                    row_cells = 0;
                }
                "table:table-cell"
                    if e.try_get_attribute("office:value-type")
                        .ok()
                        .flatten()
                        .is_some() =>
                {
                    row_cells =
                        row_cells.saturating_add(repeated(e, "table:number-columns-repeated"));
                }
                _ => {}
            },
            Event::End(e) if e.name().as_ref() == "table:table-row" => {
                cells = cells.saturating_add(rows_repeated.saturating_mul(row_cells));
                if cells > MAX_DECLARED_CELLS {
                    return Err(Excess::Cells {
                        sheet: sheet.clone(),
                        declared: cells,
                    });
                }
            }
            _ => {}
        }
        buf.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_with(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let mut z = zip::ZipWriter::new(&mut out);
        for (name, bytes) in parts {
            z.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            z.write_all(bytes).unwrap();
        }
        z.finish().unwrap();
        out.into_inner()
    }

    #[test]
    fn a_zip_bomb_is_refused_by_its_declared_sizes() {
        let zeros = vec![0u8; 64 << 20];
        let bomb = zip_with(&[("xl/worksheets/sheet1.xml", &zeros)]);
        assert!(
            bomb.len() < 1 << 20,
            "64 MB of zeros packs to {}",
            bomb.len()
        );
        assert!(matches!(check(&bomb), Err(Excess::Inflates { .. })));
        let plain = zip_with(&[("xl/workbook.xml", b"<workbook/>")]);
        assert_eq!(check(&plain), Ok(()));
        assert_eq!(check(b"not a zip"), Ok(()));
    }

    #[test]
    fn an_ods_declaring_millions_of_cells_is_refused_and_empty_repeats_are_free() {
        let row = r#"<table:table-row table:number-rows-repeated="10000"><table:table-cell table:number-columns-repeated="5000" office:value-type="float" office:value="1"/></table:table-row>"#;
        let huge = format!(
            r#"<office:document-content><table:table table:name="表1">{row}</table:table></office:document-content>"#
        );
        let ods = zip_with(&[("content.xml", huge.as_bytes())]);
        assert_eq!(
            check(&ods),
            Err(Excess::Cells {
                sheet: "表1".into(),
                declared: 50_000_000
            })
        );
        // LibreOffice pads every sheet with a million empty rows.
        let empty = r#"<table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>"#;
        let padded = format!(
            r#"<office:document-content><table:table table:name="表1">{empty}</table:table></office:document-content>"#
        );
        assert_eq!(
            check(&zip_with(&[("content.xml", padded.as_bytes())])),
            Ok(())
        );
    }
}

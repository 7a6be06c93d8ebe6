//! How much room text takes in a printed cell. Excel and LibreOffice size
//! columns in units of one Latin character; a Chinese character takes about
//! two. A wrapped cell does not grow its row by itself in a file written by
//! a program, so the writer must set the height, or the lines print on top
//! of each other.

/// Display width of a text in Excel column units: CJK characters count two.
pub fn text_width(s: &str) -> f64 {
    s.chars()
        .map(|c| if c.is_ascii() { 1.1 } else { 2.1 })
        .sum()
}

/// Height in points of one line of 11-point text, CJK glyphs included.
pub const LINE_HEIGHT: f64 = 15.6;

/// How many lines `text` takes when wrapped in a column `width` units wide
/// (explicit line breaks start new lines). At least one.
pub fn wrapped_lines(text: &str, width: f64) -> u32 {
    // A little of the width goes to the cell's padding.
    let usable = (width - 1.0).max(1.0);
    text.split('\n')
        .map(|line| (text_width(line) / usable).ceil().max(1.0) as u32)
        .sum::<u32>()
        .max(1)
}

/// The row height, in points, that shows `lines` lines of text.
pub fn row_height(lines: u32) -> f64 {
    f64::from(lines.max(1)) * LINE_HEIGHT + 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_counts_double_and_lines_wrap() {
        assert!((text_width("ab") - 2.2).abs() < 1e-9);
        assert!((text_width("清泉") - 4.2).abs() < 1e-9);
        // 40 Chinese characters are 84 units: two lines in 60, one in 90.
        let long = "字".repeat(40);
        assert_eq!(wrapped_lines(&long, 60.0), 2);
        assert_eq!(wrapped_lines(&long, 90.0), 1);
        assert_eq!(wrapped_lines("一\n二\n三", 60.0), 3);
        assert_eq!(wrapped_lines("", 10.0), 1);
        assert!(row_height(3) > 3.0 * 15.0);
    }
}

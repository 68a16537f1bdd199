//! Column kernels over decimal text in Arrow's string layout (an offsets
//! buffer and a UTF-8 data buffer), so Python loaders can hand a whole CSV
//! column across without building one Python string per row.

use crate::types::fixed::{parse_fixed_bytes, significant_decimals, FixedError};

/// A parse failure in a column, with the row it happened on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnError {
    /// Zero-based row index in the column.
    pub row: usize,
    /// The text of that row.
    pub text: String,
    /// What went wrong.
    pub error: FixedError,
}

/// Borrowed view of an Arrow string column (`Utf8`/`LargeUtf8` offsets).
pub struct StrColumn<'a, O> {
    offsets: &'a [O],
    data: &'a [u8],
}

impl<'a, O: Copy + TryInto<usize>> StrColumn<'a, O> {
    /// Wraps Arrow buffers; `offsets` has one more entry than there are rows.
    pub fn new(offsets: &'a [O], data: &'a [u8]) -> Self {
        Self { offsets, data }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes of row `i`, or `None` if the offsets are out of range.
    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        let start: usize = self.offsets.get(i).and_then(|o| (*o).try_into().ok())?;
        let end: usize = self.offsets.get(i + 1).and_then(|o| (*o).try_into().ok())?;
        self.data.get(start..end)
    }

    /// Parses every row exactly at `precision` into `out`, stopping at the
    /// first row that fails.
    pub fn parse_into(&self, precision: u8, out: &mut Vec<i64>) -> Result<(), ColumnError> {
        out.reserve(self.len());
        for row in 0..self.len() {
            let bytes = self.get(row).unwrap_or_default();
            match parse_fixed_bytes(bytes.trim_ascii(), precision) {
                Ok(v) => out.push(v),
                Err(e) => {
                    let text = String::from_utf8_lossy(bytes).into_owned();
                    return Err(ColumnError {
                        row,
                        error: e.with_text(&text),
                        text,
                    });
                }
            }
        }
        Ok(())
    }

    /// The largest number of significant decimals in the column (the
    /// precision that holds every row exactly); rows that are not decimals
    /// are ignored here and reported by [`Self::parse_into`].
    pub fn max_decimals(&self) -> u32 {
        (0..self.len())
            .filter_map(|row| self.get(row))
            .filter_map(|b| std::str::from_utf8(b.trim_ascii()).ok())
            .filter_map(significant_decimals)
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_column_and_names_the_failing_row() {
        let data = b"1.52.25x3";
        let offsets: [i32; 4] = [0, 3, 8, 9];
        let col = StrColumn::new(&offsets, data);
        assert_eq!(col.len(), 3);
        let mut out = Vec::new();
        let err = col.parse_into(2, &mut out).unwrap_err();
        assert_eq!(err.row, 1);
        assert_eq!(err.text, "2.25x");
        assert_eq!(out, vec![150]);
        assert_eq!(col.max_decimals(), 1);
    }
}

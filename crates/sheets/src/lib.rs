//! Tabular files for imports and exports, with no database or HTTP in sight.
//!
//! Reading: a CSV file (UTF-8 with or without BOM, or Windows-1252; `,` `;` or tab, quoted
//! fields with embedded newlines) or a workbook (.xlsx streamed cell by cell; .xls and .ods
//! through calamine) is delivered row by row to a callback, so a caller decides how many rows
//! it keeps in memory. Every row carries the line (CSV) or row number (workbooks) a person
//! sees in their editor. Writing: CSV with formula-looking cells neutralised, XLSX reports in
//! constant-memory mode with a statistics sheet and a chart, and paginated PDF reports.
//!
//! Errors are [`SheetError`] values with a stable code, a message meant for the person who
//! uploaded the file and, when it is about one row, the line.
#![forbid(unsafe_code)]

pub mod pdf;
mod read;
mod write;

pub use read::{
    Encoding, Format, Item, Limits, Options, Probe, Row, RowIssue, count_rows, detect_delimiter,
    detect_encoding, probe, read, sniff,
};
pub use write::{
    CellValue, Column, ColumnKind, CsvOut, SheetLabels, TableXlsx, XlsxReport, neutralise,
};

/// A problem with a whole file (or, with `line`, one of its rows).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SheetError {
    /// Stable machine code: `empty_file`, `unsupported_format`, `corrupt_file`,
    /// `file_too_large`, `sheet_not_found`, `no_header`, `too_many_columns`, `io`.
    pub code: &'static str,
    pub message: String,
    pub line: Option<u64>,
}

impl SheetError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            line: None,
        }
    }

    pub(crate) fn io(e: std::io::Error) -> Self {
        Self::new("io", format!("the file could not be read: {e}"))
    }
}

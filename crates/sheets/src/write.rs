//! Writing CSV and XLSX files.

use crate::SheetError;
use rust_xlsxwriter::{Chart, ChartType, Format, Workbook, Worksheet, XlsxError};
use std::{borrow::Cow, io::Write, path::Path};

/// Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, or a leading tab or
/// carriage return, per OWASP) gets a leading apostrophe, so `=HYPERLINK(…)` stays text.
pub fn neutralise(s: &str) -> Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

/// A CSV writer for people who open files in Excel: optional UTF-8 BOM, `,` or `;`, quotes
/// only where needed, formula-looking text neutralised.
pub struct CsvOut<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> CsvOut<W> {
    pub fn new(mut out: W, delimiter: u8, bom: bool) -> Result<Self, SheetError> {
        if bom {
            out.write_all(b"\xEF\xBB\xBF").map_err(SheetError::io)?;
        }
        Ok(Self {
            inner: csv::WriterBuilder::new()
                .delimiter(delimiter)
                .terminator(csv::Terminator::CRLF)
                .from_writer(out),
        })
    }

    /// A row of text cells, each neutralised.
    pub fn text_row<'a>(
        &mut self,
        cells: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), SheetError> {
        self.inner
            .write_record(cells.into_iter().map(|c| neutralise(c).into_owned()))
            .map_err(|e| SheetError::new("io", e.to_string()))
    }

    /// A row of typed cells: numbers as written, text neutralised. Each cell is written as
    /// it is (numbers and dates through a buffer on the stack): a large export writes
    /// millions of cells, and a string per cell was most of its cost.
    pub fn row(&mut self, cells: &[CellValue]) -> Result<(), SheetError> {
        let err = |e: csv::Error| SheetError::new("io", e.to_string());
        let mut buf = [0u8; 40];
        for cell in cells {
            match cell {
                CellValue::Empty => self.inner.write_field(b""),
                CellValue::Text(s) => self.inner.write_field(neutralise(s).as_bytes()),
                CellValue::Bool(b) => self.inner.write_field(if *b { "true" } else { "false" }),
                CellValue::Number(_) | CellValue::DateTime(_) => {
                    self.inner.write_field(cell.plain(&mut buf).as_bytes())
                }
            }
            .map_err(err)?;
        }
        self.inner.write_record(None::<&[u8]>).map_err(err)
    }

    pub fn flush(&mut self) -> Result<(), SheetError> {
        self.inner.flush().map_err(SheetError::io)
    }

    pub fn into_inner(self) -> Result<W, SheetError> {
        self.inner
            .into_inner()
            .map_err(|e| SheetError::new("io", e.to_string()))
    }
}

/// One exported value.
#[derive(Clone, Debug, PartialEq)]
pub enum CellValue {
    Empty,
    Text(String),
    Number(f64),
    /// Seconds since the Unix epoch (UTC), shown as a date and time.
    DateTime(i64),
    Bool(bool),
}

impl CellValue {
    pub fn text(s: impl Into<String>) -> Self {
        Self::Text(s.into())
    }

    pub fn opt_text(s: Option<impl Into<String>>) -> Self {
        s.map_or(Self::Empty, |s| Self::Text(s.into()))
    }

    /// The value as CSV/PDF text (dates in ISO 8601, UTC).
    pub fn csv_text(&self) -> String {
        match self {
            Self::Empty => String::new(),
            Self::Text(s) => neutralise(s).into_owned(),
            Self::Bool(b) => if *b { "true" } else { "false" }.into(),
            Self::Number(_) | Self::DateTime(_) => self.plain(&mut [0u8; 40]).into_owned(),
        }
    }

    /// A number (integers as such, others with two decimals) or a date and time
    /// (`YYYY-MM-DD HH:MM`, UTC; nothing when out of range), formatted in `buf` when it fits
    /// (always, but for floats of 15 digits or more). Other values give nothing.
    fn plain<'b>(&self, buf: &'b mut [u8; 40]) -> Cow<'b, str> {
        use chrono::{Datelike, Timelike};
        let mut out = std::io::Cursor::new(&mut buf[..]);
        let written = match self {
            Self::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => write!(out, "{}", *n as i64),
            Self::Number(n) => write!(out, "{n:.2}"),
            Self::DateTime(t) => match chrono::DateTime::from_timestamp(*t, 0) {
                Some(d) => write!(
                    out,
                    "{:04}-{:02}-{:02} {:02}:{:02}",
                    d.year(),
                    d.month(),
                    d.day(),
                    d.hour(),
                    d.minute()
                ),
                None => Ok(()),
            },
            _ => Ok(()),
        };
        let len = out.position() as usize;
        match (written, self) {
            (Ok(()), _) => Cow::Borrowed(std::str::from_utf8(&buf[..len]).unwrap_or_default()),
            (Err(_), Self::Number(n)) => Cow::Owned(format!("{n:.2}")),
            (Err(_), _) => Cow::Borrowed(""),
        }
    }

    /// As shown in a PDF table (no neutralising: PDF text is never evaluated).
    pub fn display(&self, yes: &str, no: &str) -> String {
        match self {
            Self::Text(s) => s.clone(),
            Self::Bool(b) => if *b { yes } else { no }.into(),
            Self::Number(n) => {
                if n.fract() == 0.0 && n.abs() < 1e15 {
                    group_thousands(*n as i64)
                } else {
                    format!("{n:.2}")
                }
            }
            other => other.csv_text(),
        }
    }
}

fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    Text,
    Number,
    Amount,
    DateTime,
    Bool,
}

/// A column of an export: its header and width (in characters).
#[derive(Clone, Debug)]
pub struct Column {
    pub title: String,
    pub width: f64,
    pub kind: ColumnKind,
}

impl Column {
    pub fn new(title: impl Into<String>, width: f64, kind: ColumnKind) -> Self {
        Self {
            title: title.into(),
            width,
            kind,
        }
    }
}

/// Names shown in an XLSX report, in the reader's language.
#[derive(Clone, Debug)]
pub struct SheetLabels {
    pub data_sheet: String,
    pub stats_sheet: String,
    pub group_header: String,
    pub count_header: String,
    pub chart_title: String,
    pub yes: String,
    pub no: String,
}

fn xerr(e: XlsxError) -> SheetError {
    SheetError::new("io", format!("the workbook could not be written: {e}"))
}

/// An XLSX report written row by row in constant-memory mode (rows go to a temporary file
/// as they come): a data sheet with a bold, frozen header and set widths, then a statistics
/// sheet with a column chart.
pub struct XlsxReport {
    workbook: Workbook,
    columns: Vec<Column>,
    labels: SheetLabels,
    header: Format,
    amount: Format,
    datetime: Format,
    row: u32,
}

impl XlsxReport {
    /// `tempdir` holds the row files while the report is built.
    pub fn new(
        columns: Vec<Column>,
        labels: SheetLabels,
        tempdir: &Path,
    ) -> Result<Self, SheetError> {
        let mut workbook = Workbook::new();
        workbook.set_tempdir(tempdir).map_err(xerr)?;
        let header = Format::new()
            .set_bold()
            .set_background_color("1F3A5F")
            .set_font_color("FFFFFF");
        let amount = Format::new().set_num_format("#,##0.00");
        let datetime = Format::new().set_num_format("yyyy-mm-dd hh:mm");
        {
            let ws = workbook
                .add_worksheet_with_constant_memory()
                .map_err(xerr)?;
            ws.set_name(&labels.data_sheet).map_err(xerr)?;
            for (i, c) in columns.iter().enumerate() {
                ws.set_column_width(i as u16, c.width).map_err(xerr)?;
            }
            ws.set_freeze_panes(1, 0).map_err(xerr)?;
            for (i, c) in columns.iter().enumerate() {
                ws.write_string_with_format(0, i as u16, &c.title, &header)
                    .map_err(xerr)?;
            }
        }
        Ok(Self {
            workbook,
            columns,
            labels,
            header,
            amount,
            datetime,
            row: 0,
        })
    }

    fn data(&mut self) -> Result<&mut Worksheet, SheetError> {
        self.workbook.worksheet_from_index(0).map_err(xerr)
    }

    /// Append a data row. Text goes in as text cells, never as formulas.
    pub fn push(&mut self, cells: &[CellValue]) -> Result<(), SheetError> {
        if self.row >= 1_048_575 {
            return Err(SheetError::new(
                "too_many_rows",
                "an XLSX sheet holds at most 1,048,575 rows; export as CSV",
            ));
        }
        self.row += 1;
        let r = self.row;
        let kinds: Vec<ColumnKind> = self.columns.iter().map(|c| c.kind).collect();
        let (amount, datetime) = (self.amount.clone(), self.datetime.clone());
        let (yes, no) = (self.labels.yes.clone(), self.labels.no.clone());
        let ws = self.data()?;
        for (i, cell) in cells.iter().enumerate() {
            let c = i as u16;
            match cell {
                CellValue::Empty => {}
                CellValue::Text(s) => {
                    ws.write_string(r, c, s).map_err(xerr)?;
                }
                CellValue::Number(n) if kinds.get(i) == Some(&ColumnKind::Amount) => {
                    ws.write_number_with_format(r, c, *n, &amount)
                        .map_err(xerr)?;
                }
                CellValue::Number(n) => {
                    ws.write_number(r, c, *n).map_err(xerr)?;
                }
                CellValue::DateTime(t) => {
                    let serial = *t as f64 / 86_400.0 + 25_569.0;
                    ws.write_number_with_format(r, c, serial, &datetime)
                        .map_err(xerr)?;
                }
                CellValue::Bool(b) => {
                    ws.write_string(r, c, if *b { &yes } else { &no })
                        .map_err(xerr)?;
                }
            }
        }
        Ok(())
    }

    pub fn rows(&self) -> u32 {
        self.row
    }

    /// Add the statistics sheet (one row per group, a column chart of the counts) and save.
    pub fn finish(mut self, stats: &[(String, f64)], out: &Path) -> Result<(), SheetError> {
        let labels = self.labels.clone();
        let header = self.header.clone();
        let ws = self.workbook.add_worksheet();
        ws.set_name(&labels.stats_sheet).map_err(xerr)?;
        ws.set_column_width(0, 28).map_err(xerr)?;
        ws.set_column_width(1, 14).map_err(xerr)?;
        ws.write_string_with_format(0, 0, &labels.group_header, &header)
            .map_err(xerr)?;
        ws.write_string_with_format(0, 1, &labels.count_header, &header)
            .map_err(xerr)?;
        for (i, (label, n)) in stats.iter().enumerate() {
            ws.write_string(i as u32 + 1, 0, label).map_err(xerr)?;
            ws.write_number(i as u32 + 1, 1, *n).map_err(xerr)?;
        }
        if !stats.is_empty() {
            let last = stats.len() as u32;
            let mut chart = Chart::new(ChartType::Column);
            chart
                .add_series()
                .set_categories((labels.stats_sheet.as_str(), 1, 0, last, 0))
                .set_values((labels.stats_sheet.as_str(), 1, 1, last, 1))
                .set_name(labels.count_header.as_str());
            chart.title().set_name(labels.chart_title.as_str());
            chart.legend().set_hidden();
            chart.set_width(640).set_height(360);
            ws.insert_chart(1, 3, &chart).map_err(xerr)?;
        }
        self.workbook.save(out).map_err(xerr)?;
        Ok(())
    }
}

/// A plain table workbook written row by row in constant-memory mode: bold frozen header,
/// text cells. Templates and import error reports use it.
pub struct TableXlsx {
    workbook: Workbook,
    row: u32,
}

impl TableXlsx {
    /// `emphasise_last` shows the last header (an error column) in red.
    pub fn new(
        sheet: &str,
        headers: &[String],
        widths: &[f64],
        emphasise_last: bool,
        tempdir: &Path,
    ) -> Result<Self, SheetError> {
        let mut workbook = Workbook::new();
        workbook.set_tempdir(tempdir).map_err(xerr)?;
        let header = Format::new().set_bold().set_background_color("DCE6F1");
        let alert = header.clone().set_font_color("9C0006");
        {
            let ws = workbook
                .add_worksheet_with_constant_memory()
                .map_err(xerr)?;
            ws.set_name(sheet).map_err(xerr)?;
            for (i, _) in headers.iter().enumerate() {
                let w = widths.get(i).copied().unwrap_or(18.0);
                ws.set_column_width(i as u16, w).map_err(xerr)?;
            }
            ws.set_freeze_panes(1, 0).map_err(xerr)?;
            for (i, h) in headers.iter().enumerate() {
                let f = if emphasise_last && i + 1 == headers.len() {
                    &alert
                } else {
                    &header
                };
                ws.write_string_with_format(0, i as u16, h, f)
                    .map_err(xerr)?;
            }
        }
        Ok(Self { workbook, row: 0 })
    }

    /// Append a row of text cells (written as text, never as formulas).
    pub fn push<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<(), SheetError> {
        if self.row >= 1_048_575 {
            return Ok(());
        }
        self.row += 1;
        let r = self.row;
        let ws = self.workbook.worksheet_from_index(0).map_err(xerr)?;
        for (i, c) in cells.iter().enumerate() {
            let c = c.as_ref();
            if !c.is_empty() && i < 16_384 {
                ws.write_string(r, i as u16, c).map_err(xerr)?;
            }
        }
        Ok(())
    }

    pub fn finish(mut self, out: &Path) -> Result<(), SheetError> {
        self.workbook.save(out).map_err(xerr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Reader, Xlsx};

    #[test]
    fn neutralises_formula_text() {
        assert_eq!(
            neutralise("=HYPERLINK(\"http://x\",\"y\")"),
            "'=HYPERLINK(\"http://x\",\"y\")"
        );
        assert_eq!(neutralise("+33 1 42"), "'+33 1 42");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("-2+3"), "'-2+3");
        assert_eq!(neutralise("Banque Azur"), "Banque Azur");
        assert_eq!(neutralise(""), "");
    }

    #[test]
    fn csv_cells_are_written_as_they_read() {
        let mut out = CsvOut::new(Vec::new(), b',', false).unwrap();
        let cells = [
            CellValue::Empty,
            CellValue::text("Société, \"Générale\""),
            CellValue::text("-1"),
            CellValue::Number(-42.0),
            CellValue::Number(1234.5),
            CellValue::Number(1e300),
            CellValue::DateTime(1_767_225_599),
            CellValue::DateTime(i64::MAX),
            CellValue::Bool(true),
            CellValue::Bool(false),
        ];
        out.row(&cells).unwrap();
        let text = String::from_utf8(out.into_inner().unwrap()).unwrap();
        let huge = format!("{:.2}", 1e300);
        assert_eq!(
            text,
            format!(
                ",\"Société, \"\"Générale\"\"\",'-1,-42,1234.50,{huge},2025-12-31 23:59,,true,\
                 false\r\n"
            )
        );
        // The same text, one value at a time (PDF tables, error reports).
        assert_eq!(CellValue::Number(-42.0).csv_text(), "-42");
        assert_eq!(CellValue::DateTime(0).csv_text(), "1970-01-01 00:00");
    }

    #[test]
    fn csv_has_bom_semicolons_and_quotes() {
        let mut out = CsvOut::new(Vec::new(), b';', true).unwrap();
        out.text_row(["Nom", "Notes"]).unwrap();
        out.row(&[CellValue::text("=1+1"), CellValue::text("a;b \"c\"")])
            .unwrap();
        out.row(&[CellValue::Number(2500000.0), CellValue::Number(12.5)])
            .unwrap();
        let bytes = out.into_inner().unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "\u{feff}Nom;Notes\r\n'=1+1;\"a;b \"\"c\"\"\"\r\n2500000;12.50\r\n"
        );
    }

    #[test]
    fn xlsx_report_has_data_stats_and_text_cells() {
        let dir = std::env::temp_dir().join(format!("relais-xlsx-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let labels = SheetLabels {
            data_sheet: "Données".into(),
            stats_sheet: "Statistiques".into(),
            group_header: "Étape".into(),
            count_header: "Nombre".into(),
            chart_title: "Organisations par étape".into(),
            yes: "oui".into(),
            no: "non".into(),
        };
        let mut r = XlsxReport::new(
            vec![
                Column::new("Nom", 30.0, ColumnKind::Text),
                Column::new("Montant", 14.0, ColumnKind::Amount),
                Column::new("Actif", 8.0, ColumnKind::Bool),
            ],
            labels,
            &dir,
        )
        .unwrap();
        r.push(&[
            CellValue::text("=HYPERLINK(\"http://evil\",\"x\")"),
            CellValue::Number(10.0),
            CellValue::Bool(true),
        ])
        .unwrap();
        let out = dir.join("r.xlsx");
        r.finish(&[("Prospect".into(), 1.0), ("Signé".into(), 0.0)], &out)
            .unwrap();
        let mut wb: Xlsx<_> = calamine::open_workbook(&out).unwrap();
        assert_eq!(wb.sheet_names(), vec!["Données", "Statistiques"]);
        let data = wb.worksheet_range("Données").unwrap();
        assert_eq!(
            data.get_value((1, 0)).unwrap().to_string(),
            "=HYPERLINK(\"http://evil\",\"x\")"
        );
        let formulas = wb.worksheet_formula("Données").unwrap();
        assert!(formulas.used_cells().next().is_none(), "no formula cell");
        let stats = wb.worksheet_range("Statistiques").unwrap();
        assert_eq!(stats.get_value((2, 0)).unwrap().to_string(), "Signé");
    }
}

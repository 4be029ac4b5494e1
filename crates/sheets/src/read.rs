//! Reading CSV files and workbooks row by row.

use crate::SheetError;
use calamine::{Data, DataRef, Ods, Reader, Xls, Xlsx};
use std::{
    fs::File,
    io::{BufReader, Read},
    ops::ControlFlow,
    path::Path,
};

/// What kind of file it is, decided from its bytes (never from its name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Xls,
    Ods,
}

impl Format {
    pub fn code(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
            Self::Xls => "xls",
            Self::Ods => "ods",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Some(match s {
            "csv" => Self::Csv,
            "xlsx" => Self::Xlsx,
            "xls" => Self::Xls,
            "ods" => Self::Ods,
            _ => return None,
        })
    }
}

/// Text encodings of CSV files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// Windows-1252, what Excel on a French Windows writes (a superset of ISO-8859-1 for
    /// printable characters).
    Windows1252,
}

impl Encoding {
    pub fn code(self) -> &'static str {
        match self {
            Self::Utf8 => "utf-8",
            Self::Windows1252 => "windows-1252",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Some(Self::Utf8),
            "windows-1252" | "cp1252" | "latin1" | "latin-1" | "iso-8859-1" | "iso-8859-15" => {
                Some(Self::Windows1252)
            }
            _ => None,
        }
    }
}

/// Bounds that keep a hostile file from costing unbounded memory.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Columns kept per row; a row with more is reported.
    pub max_columns: usize,
    /// Characters per cell (Excel's own limit is 32,767).
    pub max_cell_chars: usize,
    /// Largest uncompressed size one workbook part may declare (zip bombs).
    pub max_expanded_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_columns: 200,
            max_cell_chars: 32_767,
            max_expanded_bytes: 1 << 30,
        }
    }
}

/// Choices that override detection.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub encoding: Option<Encoding>,
    pub delimiter: Option<u8>,
    /// Worksheet name (workbooks); the first sheet by default.
    pub sheet: Option<String>,
}

/// One row: its line (CSV, 1-based, where the record starts) or row number (workbooks,
/// 1-based) and its cells, trimmed of nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub line: u64,
    pub cells: Vec<String>,
}

/// A row that could not be read as text (bad encoding, a cell too long, too many columns).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowIssue {
    pub line: u64,
    pub code: &'static str,
    pub message: String,
}

/// What [`read`] hands to its callback, in file order: the header once, then rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// Workbooks: the data rows the sheet declares (blank ones included), before the header.
    Size(u64),
    Header(Row),
    Row(Row),
    Bad(RowIssue),
}

/// What a first look at a file found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    pub format: Format,
    /// CSV only.
    pub encoding: Option<Encoding>,
    /// CSV only.
    pub delimiter: Option<u8>,
    /// Workbooks only: every sheet, and the one read.
    pub sheets: Vec<String>,
    pub sheet: Option<String>,
    pub headers: Vec<String>,
    pub header_line: u64,
    /// The first data rows.
    pub sample: Vec<Row>,
    /// Rows that could not be read among the first ones.
    pub sample_issues: Vec<RowIssue>,
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const ODS_MIME: &[u8] = b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet";

/// Decide the format from the first bytes of a file (8 KiB or more is plenty).
pub fn sniff(head: &[u8]) -> Result<Format, SheetError> {
    if head.is_empty() {
        return Err(SheetError::new("empty_file", "the file is empty"));
    }
    if head.starts_with(ZIP_MAGIC) {
        if head.len() > 30 && head[30..].starts_with(ODS_MIME) {
            return Ok(Format::Ods);
        }
        return Ok(Format::Xlsx);
    }
    if head.starts_with(OLE_MAGIC) {
        return Ok(Format::Xls);
    }
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Err(SheetError::new(
            "unsupported_format",
            "UTF-16 text is not supported: save the file as CSV UTF-8",
        ));
    }
    let controls = head
        .iter()
        .filter(|&&b| b == 0 || (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C)))
        .count();
    if head.contains(&0) || controls * 100 > head.len() {
        return Err(SheetError::new(
            "unsupported_format",
            "not a CSV, XLSX, XLS or ODS file",
        ));
    }
    Ok(Format::Csv)
}

/// UTF-8 when the bytes have a BOM or are valid UTF-8 (a character cut at the end of an
/// incomplete window is fine), Windows-1252 otherwise.
pub fn detect_encoding(head: &[u8], complete: bool) -> Encoding {
    if head.starts_with(b"\xEF\xBB\xBF") {
        return Encoding::Utf8;
    }
    match std::str::from_utf8(head) {
        Ok(_) => Encoding::Utf8,
        Err(e) if e.error_len().is_none() && !complete => Encoding::Utf8,
        Err(_) => Encoding::Windows1252,
    }
}

/// The delimiter (`,` `;` or tab) that splits the first lines into the same number of fields,
/// the most of them; `,` when nothing splits.
pub fn detect_delimiter(text: &str) -> u8 {
    let mut best = (b',', 0usize, 0usize);
    for d in [b',', b';', b'\t'] {
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(d)
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut counts = Vec::new();
        let mut rec = csv::ByteRecord::new();
        while counts.len() < 50 {
            match rdr.read_byte_record(&mut rec) {
                Ok(true) if rec.iter().all(|f| f.is_empty()) => continue,
                Ok(true) => counts.push(rec.len()),
                _ => break,
            }
        }
        // The last record may be cut by the end of the window.
        if counts.len() > 2 {
            counts.pop();
        }
        let Some(&first) = counts.first() else {
            continue;
        };
        if first < 2 {
            continue;
        }
        let consistent = counts.iter().filter(|&&c| c == first).count();
        if (consistent, first) > (best.1, best.2) {
            best = (d, consistent, first);
        }
    }
    best.0
}

/// Look at a file: format-specific detection, the header and the first `sample` rows.
pub fn probe(
    path: &Path,
    format: Format,
    opts: &Options,
    limits: &Limits,
    sample: usize,
) -> Result<Probe, SheetError> {
    let (encoding, delimiter) = if format == Format::Csv {
        let (enc, delim) = csv_settings(path, opts)?;
        (Some(enc), Some(delim))
    } else {
        (None, None)
    };
    let resolved = Options {
        encoding,
        delimiter,
        sheet: opts.sheet.clone(),
    };
    let mut headers = None;
    let mut rows = Vec::new();
    let mut issues = Vec::new();
    let info = read(path, format, &resolved, limits, |item| {
        match item {
            Item::Size(_) => {}
            Item::Header(h) => headers = Some(h),
            Item::Row(r) => rows.push(r),
            Item::Bad(b) => issues.push(b),
        }
        if rows.len() + issues.len() >= sample {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    let header = headers.ok_or_else(|| {
        SheetError::new(
            "no_header",
            "the file has no header row (the first row names the columns)",
        )
    })?;
    Ok(Probe {
        format,
        encoding,
        delimiter,
        sheets: info.sheets,
        sheet: info.sheet,
        headers: header.cells.iter().map(|h| h.trim().to_owned()).collect(),
        header_line: header.line,
        sample: rows,
        sample_issues: issues,
    })
}

/// What [`read`] learnt about a workbook.
#[derive(Clone, Debug, Default)]
pub struct SheetInfo {
    pub sheets: Vec<String>,
    pub sheet: Option<String>,
}

fn csv_settings(path: &Path, opts: &Options) -> Result<(Encoding, u8), SheetError> {
    const WINDOW: usize = 1 << 20;
    let mut f = File::open(path).map_err(SheetError::io)?;
    let mut head = Vec::with_capacity(64 * 1024);
    (&mut f)
        .take(WINDOW as u64)
        .read_to_end(&mut head)
        .map_err(SheetError::io)?;
    let complete = head.len() < WINDOW;
    let encoding = opts
        .encoding
        .unwrap_or_else(|| detect_encoding(&head, complete));
    let delimiter = match opts.delimiter {
        Some(d) => d,
        None => {
            let window = &head[..head.len().min(64 * 1024)];
            let text = match encoding {
                Encoding::Utf8 => String::from_utf8_lossy(window).into_owned(),
                Encoding::Windows1252 => encoding_rs::WINDOWS_1252.decode(window).0.into_owned(),
            };
            detect_delimiter(&text)
        }
    };
    Ok((encoding, delimiter))
}

/// Read every row of a file (CSV settings detected when not given), calling `f` with the
/// header, then each non-empty row, until it breaks. Returns what it learnt of the workbook.
pub fn read(
    path: &Path,
    format: Format,
    opts: &Options,
    limits: &Limits,
    mut f: impl FnMut(Item) -> ControlFlow<()>,
) -> Result<SheetInfo, SheetError> {
    let mut header_seen = false;
    let mut emit = |line: u64, cells: Vec<String>, f: &mut dyn FnMut(Item) -> ControlFlow<()>| {
        if cells.iter().all(|c| c.trim().is_empty()) {
            return ControlFlow::Continue(());
        }
        if cells.len() > limits.max_columns {
            return f(Item::Bad(RowIssue {
                line,
                code: "too_many_columns",
                message: format!("more than {} columns", limits.max_columns),
            }));
        }
        if let Some(i) = cells
            .iter()
            .position(|c| c.chars().count() > limits.max_cell_chars)
        {
            return f(Item::Bad(RowIssue {
                line,
                code: "cell_too_long",
                message: format!(
                    "column {} holds more than {} characters",
                    i + 1,
                    limits.max_cell_chars
                ),
            }));
        }
        let row = Row { line, cells };
        if header_seen {
            f(Item::Row(row))
        } else {
            header_seen = true;
            f(Item::Header(row))
        }
    };
    match format {
        Format::Csv => {
            let (encoding, delimiter) = match (opts.encoding, opts.delimiter) {
                (Some(e), Some(d)) => (e, d),
                _ => csv_settings(path, opts)?,
            };
            let (mut rdr, last_byte) = csv_reader(path, encoding, delimiter)?;
            // The reader's record positions lag behind blank lines and CR LF ends, so each
            // record's first line is counted back from where the reader stands after it:
            // minus the newlines inside its fields, minus its own line end (absent only on
            // an unterminated last line, hence one record of look-ahead).
            let mut rec = csv::ByteRecord::new();
            let mut held = csv::ByteRecord::new();
            let mut held_after: Option<u64> = None;
            loop {
                let more = rdr.read_byte_record(&mut rec).map_err(|e| match e.kind() {
                    csv::ErrorKind::Io(_) => SheetError::new("io", e.to_string()),
                    _ => SheetError::new("corrupt_file", e.to_string()),
                })?;
                if let Some(after) = held_after.take() {
                    let inner: u64 = held
                        .iter()
                        .map(|f| f.iter().filter(|&&b| b == b'\n').count() as u64)
                        .sum();
                    let end = if more {
                        1
                    } else {
                        u64::from(last_byte.get() == b'\n')
                    };
                    let line = after.saturating_sub(inner + end).max(1);
                    if csv_record(&held, line, limits, &mut emit, &mut f).is_break() {
                        break;
                    }
                }
                if !more {
                    break;
                }
                std::mem::swap(&mut rec, &mut held);
                held_after = Some(rdr.position().line());
            }
            Ok(SheetInfo::default())
        }
        Format::Xlsx => {
            guard_zip(path, limits)?;
            let file = BufReader::new(File::open(path).map_err(SheetError::io)?);
            let mut wb: Xlsx<_> = Xlsx::new(file).map_err(corrupt)?;
            let sheets = wb.sheet_names();
            let sheet = pick_sheet(&sheets, opts.sheet.as_deref())?;
            let mut cells = wb.worksheet_cells_reader(&sheet).map_err(corrupt)?;
            let d = cells.dimensions();
            if d.end.0 > d.start.0 && f(Item::Size(u64::from(d.end.0 - d.start.0))).is_break() {
                return Ok(SheetInfo {
                    sheets,
                    sheet: Some(sheet),
                });
            }
            let mut current: Option<u32> = None;
            let mut row: Vec<String> = Vec::new();
            let mut wide = false;
            while let Some(cell) = cells.next_cell().map_err(corrupt)? {
                let (r, c) = cell.get_position();
                if current != Some(r) {
                    if let Some(prev) = current {
                        let flow = flush(prev, &mut row, &mut wide, limits, &mut emit, &mut f);
                        if flow.is_break() {
                            return Ok(SheetInfo {
                                sheets,
                                sheet: Some(sheet),
                            });
                        }
                    }
                    current = Some(r);
                }
                let text = data_ref_text(cell.get_value());
                if text.is_empty() {
                    continue;
                }
                let c = c as usize;
                if c >= limits.max_columns {
                    wide = true;
                    continue;
                }
                if row.len() <= c {
                    row.resize(c + 1, String::new());
                }
                row[c] = text;
            }
            if let Some(prev) = current {
                let _ = flush(prev, &mut row, &mut wide, limits, &mut emit, &mut f);
            }
            Ok(SheetInfo {
                sheets,
                sheet: Some(sheet),
            })
        }
        Format::Xls | Format::Ods => {
            let file = BufReader::new(File::open(path).map_err(SheetError::io)?);
            let (sheets, sheet, range) = if format == Format::Xls {
                let mut wb: Xls<_> = Xls::new(file).map_err(corrupt)?;
                let sheets = wb.sheet_names();
                let sheet = pick_sheet(&sheets, opts.sheet.as_deref())?;
                let range = wb.worksheet_range(&sheet).map_err(corrupt)?;
                (sheets, sheet, range)
            } else {
                guard_zip(path, limits)?;
                let mut wb: Ods<_> = Ods::new(file).map_err(corrupt)?;
                let sheets = wb.sheet_names();
                let sheet = pick_sheet(&sheets, opts.sheet.as_deref())?;
                let range = wb.worksheet_range(&sheet).map_err(corrupt)?;
                (sheets, sheet, range)
            };
            let (top, left) = range.start().unwrap_or((0, 0));
            if range.height() > 1 && f(Item::Size(range.height() as u64 - 1)).is_break() {
                return Ok(SheetInfo {
                    sheets,
                    sheet: Some(sheet),
                });
            }
            for (i, r) in range.rows().enumerate() {
                let mut cells: Vec<String> = Vec::with_capacity(left as usize + r.len());
                cells.resize(left as usize, String::new());
                cells.extend(r.iter().map(data_text));
                while cells.last().is_some_and(String::is_empty) {
                    cells.pop();
                }
                if emit(top as u64 + i as u64 + 1, cells, &mut f).is_break() {
                    break;
                }
            }
            Ok(SheetInfo {
                sheets,
                sheet: Some(sheet),
            })
        }
    }
}

type CsvReader = csv::Reader<Box<dyn Read>>;

/// A CSV reader over the file decoded to UTF-8 with `\n` line ends, and the last byte it
/// has handed out.
fn csv_reader(
    path: &Path,
    encoding: Encoding,
    delimiter: u8,
) -> Result<(CsvReader, std::rc::Rc<std::cell::Cell<u8>>), SheetError> {
    let file = BufReader::with_capacity(256 * 1024, File::open(path).map_err(SheetError::io)?);
    let lf = match encoding {
        Encoding::Utf8 => LfOnly::new(Box::new(file) as Box<dyn Read>),
        Encoding::Windows1252 => {
            LfOnly::new(Box::new(Decoding::new(file, encoding_rs::WINDOWS_1252)) as Box<dyn Read>)
        }
    };
    let last = lf.last.clone();
    let rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(256 * 1024)
        .from_reader(Box::new(lf) as Box<dyn Read>);
    Ok((rdr, last))
}

fn csv_record(
    rec: &csv::ByteRecord,
    line: u64,
    limits: &Limits,
    emit: &mut impl FnMut(u64, Vec<String>, &mut dyn FnMut(Item) -> ControlFlow<()>) -> ControlFlow<()>,
    f: &mut dyn FnMut(Item) -> ControlFlow<()>,
) -> ControlFlow<()> {
    if rec.len() > limits.max_columns {
        return f(Item::Bad(RowIssue {
            line,
            code: "too_many_columns",
            message: format!("more than {} columns", limits.max_columns),
        }));
    }
    let mut cells = Vec::with_capacity(rec.len());
    for field in rec.iter() {
        match std::str::from_utf8(field) {
            Ok(s) => cells.push(s.to_owned()),
            Err(_) => {
                return f(Item::Bad(RowIssue {
                    line,
                    code: "invalid_encoding",
                    message: "this line is not valid UTF-8: choose the Windows-1252 encoding"
                        .into(),
                }));
            }
        }
    }
    emit(line, cells, f)
}

fn flush(
    row_index: u32,
    row: &mut Vec<String>,
    wide: &mut bool,
    limits: &Limits,
    emit: &mut impl FnMut(u64, Vec<String>, &mut dyn FnMut(Item) -> ControlFlow<()>) -> ControlFlow<()>,
    f: &mut dyn FnMut(Item) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let line = row_index as u64 + 1;
    let cells = std::mem::take(row);
    if std::mem::take(wide) {
        return f(Item::Bad(RowIssue {
            line,
            code: "too_many_columns",
            message: format!("more than {} columns", limits.max_columns),
        }));
    }
    emit(line, cells, f)
}

/// Count the data rows (every non-empty row after the header), for progress.
pub fn count_rows(
    path: &Path,
    format: Format,
    opts: &Options,
    limits: &Limits,
) -> Result<u64, SheetError> {
    if format == Format::Csv {
        let (encoding, delimiter) = match (opts.encoding, opts.delimiter) {
            (Some(e), Some(d)) => (e, d),
            _ => csv_settings(path, opts)?,
        };
        let (mut rdr, _) = csv_reader(path, encoding, delimiter)?;
        let mut rec = csv::ByteRecord::new();
        let mut n: u64 = 0;
        while rdr
            .read_byte_record(&mut rec)
            .map_err(|e| SheetError::new("corrupt_file", e.to_string()))?
        {
            if rec.iter().any(|c| !c.iter().all(u8::is_ascii_whitespace)) {
                n += 1;
            }
        }
        return Ok(n.saturating_sub(1));
    }
    let mut n: u64 = 0;
    read(path, format, opts, limits, |item| {
        if matches!(item, Item::Row(_) | Item::Bad(_)) {
            n += 1;
        }
        ControlFlow::Continue(())
    })?;
    Ok(n)
}

fn pick_sheet(sheets: &[String], wanted: Option<&str>) -> Result<String, SheetError> {
    match wanted.filter(|w| !w.is_empty()) {
        Some(w) => sheets.iter().find(|s| *s == w).cloned().ok_or_else(|| {
            SheetError::new(
                "sheet_not_found",
                format!("the workbook has no sheet named {w:?}"),
            )
        }),
        None => sheets
            .first()
            .cloned()
            .ok_or_else(|| SheetError::new("corrupt_file", "the workbook has no sheet")),
    }
}

fn corrupt(e: impl std::fmt::Display) -> SheetError {
    SheetError::new(
        "corrupt_file",
        format!("the workbook could not be read (damaged or truncated?): {e}"),
    )
}

/// Refuse archives whose parts claim to expand past the limit, before anything inflates.
fn guard_zip(path: &Path, limits: &Limits) -> Result<(), SheetError> {
    let file = BufReader::new(File::open(path).map_err(SheetError::io)?);
    let mut zip = zip::ZipArchive::new(file).map_err(corrupt)?;
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(corrupt)?;
        let size = entry.size();
        total = total.saturating_add(size);
        if size > limits.max_expanded_bytes || total > limits.max_expanded_bytes.saturating_mul(2) {
            return Err(SheetError::new(
                "file_too_large",
                format!(
                    "the workbook expands to more than {} MiB once uncompressed",
                    limits.max_expanded_bytes >> 20
                ),
            ));
        }
    }
    Ok(())
}

fn float_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

fn datetime_text(dt: &calamine::ExcelDateTime) -> String {
    match dt.as_datetime() {
        Some(d) if d.time() == chrono::NaiveTime::MIN => d.format("%Y-%m-%d").to_string(),
        Some(d) => d.format("%Y-%m-%d %H:%M:%S").to_string(),
        None => float_text(dt.as_f64()),
    }
}

fn data_text(d: &Data) -> String {
    match d {
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::String(s) => s.clone(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => datetime_text(dt),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => e.to_string(),
        Data::Empty => String::new(),
    }
}

fn data_ref_text(d: &DataRef<'_>) -> String {
    match d {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => float_text(*f),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) => datetime_text(dt),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => e.to_string(),
        DataRef::Empty => String::new(),
    }
}

/// Line ends as `\n` only (`\r\n` and a lone `\r` included), so the CSV reader's line
/// numbers match what an editor shows (it counts `\r\n` one record late otherwise).
struct LfOnly<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    pending_cr: bool,
    last: std::rc::Rc<std::cell::Cell<u8>>,
}

impl<R: Read> LfOnly<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            buf: vec![0; 64 * 1024],
            pos: 0,
            len: 0,
            pending_cr: false,
            last: Default::default(),
        }
    }
}

impl<R: Read> Read for LfOnly<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            if self.pos == self.len {
                self.len = self.inner.read(&mut self.buf)?;
                self.pos = 0;
                if self.len == 0 {
                    if std::mem::take(&mut self.pending_cr) {
                        out[0] = b'\n';
                        self.last.set(b'\n');
                        return Ok(1);
                    }
                    return Ok(0);
                }
            }
            let mut n = 0;
            while n < out.len() && self.pos < self.len {
                let b = self.buf[self.pos];
                self.pos += 1;
                if self.pending_cr {
                    self.pending_cr = false;
                    out[n] = b'\n';
                    n += 1;
                    if b == b'\n' {
                        continue;
                    }
                    if n == out.len() {
                        self.pos -= 1;
                        break;
                    }
                }
                if b == b'\r' {
                    self.pending_cr = true;
                } else {
                    out[n] = b;
                    n += 1;
                }
            }
            if n > 0 {
                self.last.set(out[n - 1]);
                return Ok(n);
            }
        }
    }
}

/// A reader that decodes a single-byte encoding to UTF-8 as it goes.
struct Decoding<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    output: Vec<u8>,
    out_pos: usize,
    out_len: usize,
    done: bool,
}

impl<R: Read> Decoding<R> {
    fn new(inner: R, encoding: &'static encoding_rs::Encoding) -> Self {
        Self {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            input: vec![0; 64 * 1024],
            output: vec![0; 3 * 64 * 1024 + 16],
            out_pos: 0,
            out_len: 0,
            done: false,
        }
    }
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.out_pos == self.out_len {
            if self.done {
                return Ok(0);
            }
            let n = self.inner.read(&mut self.input)?;
            let last = n == 0;
            let (_, read, written, _) =
                self.decoder
                    .decode_to_utf8(&self.input[..n], &mut self.output, last);
            debug_assert_eq!(read, n, "the output buffer holds a whole input buffer");
            self.out_pos = 0;
            self.out_len = written;
            self.done = last;
        }
        let n = buf.len().min(self.out_len - self.out_pos);
        buf[..n].copy_from_slice(&self.output[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("relais-sheets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn all_rows(p: &Path, format: Format, opts: &Options) -> Vec<Item> {
        let mut out = Vec::new();
        read(p, format, opts, &Limits::default(), |i| {
            out.push(i);
            ControlFlow::Continue(())
        })
        .unwrap();
        out
    }

    #[test]
    fn sniffs_formats_from_bytes() {
        assert_eq!(sniff(b"nom;ville\nA;B\n").unwrap(), Format::Csv);
        assert_eq!(sniff(OLE_MAGIC).unwrap(), Format::Xls);
        assert_eq!(sniff(b"PK\x03\x04rest").unwrap(), Format::Xlsx);
        assert_eq!(sniff(b"").unwrap_err().code, "empty_file");
        assert_eq!(
            sniff(&[0x7f, b'E', b'L', b'F', 0, 0, 1]).unwrap_err().code,
            "unsupported_format"
        );
        assert_eq!(
            sniff(&[0xFF, 0xFE, b'a', 0]).unwrap_err().code,
            "unsupported_format"
        );
    }

    #[test]
    fn detects_encodings_and_delimiters() {
        assert_eq!(detect_encoding("Société".as_bytes(), true), Encoding::Utf8);
        assert_eq!(
            detect_encoding(b"Soci\xe9t\xe9", true),
            Encoding::Windows1252
        );
        // A character cut by the window is not a reason to change encoding.
        assert_eq!(detect_encoding(&"é".as_bytes()[..1], false), Encoding::Utf8);
        assert_eq!(detect_delimiter("a;b;c\n1;2;3\n4;5;6\n"), b';');
        assert_eq!(detect_delimiter("a,b\n\"x;y\",2\n3,4\n"), b',');
        assert_eq!(detect_delimiter("a\tb\tc\n1\t2\t3\n"), b'\t');
        // Commas inside the fields of a semicolon file.
        assert_eq!(
            detect_delimiter("nom;notes\nA;un, deux, trois\nB;quatre, cinq\nC;x\n"),
            b';'
        );
        assert_eq!(detect_delimiter("seul\nA\nB\n"), b',');
    }

    #[test]
    fn reads_csv_with_bom_quotes_and_newlines() {
        let p = tmp(
            "bom.csv",
            "\u{feff}nom;notes\n\"Banque \"\"Azur\"\"\";\"ligne 1\nligne 2\"\n\n;;\nLyon Gestion;x\n"
                .as_bytes(),
        );
        let probe = probe(&p, Format::Csv, &Options::default(), &Limits::default(), 10).unwrap();
        assert_eq!(probe.encoding, Some(Encoding::Utf8));
        assert_eq!(probe.delimiter, Some(b';'));
        assert_eq!(probe.headers, vec!["nom", "notes"]);
        assert_eq!(
            probe.sample,
            vec![
                Row {
                    line: 2,
                    cells: vec!["Banque \"Azur\"".into(), "ligne 1\nligne 2".into()]
                },
                Row {
                    line: 6,
                    cells: vec!["Lyon Gestion".into(), "x".into()]
                },
            ]
        );
        assert_eq!(
            count_rows(&p, Format::Csv, &Options::default(), &Limits::default()).unwrap(),
            2
        );
    }

    #[test]
    fn line_numbers_with_any_line_end() {
        for (i, text) in [
            "a;b\r\n1;x\r\n2;y\r\n",
            "\u{feff}a;b\n1;x\n\n2;y",
            "a;b\r1;x\r2;y\r",
            "a;b;c\r\n1;x;\"q\r\nq\"\r\n\r\n2;y;z\r\n",
        ]
        .iter()
        .enumerate()
        {
            let p = tmp(&format!("ends-{i}.csv"), text.as_bytes());
            let pr = probe(&p, Format::Csv, &Options::default(), &Limits::default(), 10).unwrap();
            let lines: Vec<u64> = pr.sample.iter().map(|r| r.line).collect();
            let want: &[u64] = match i {
                0 | 2 => &[2, 3],
                1 => &[2, 4],
                _ => &[2, 5],
            };
            assert_eq!(pr.header_line, 1);
            assert_eq!(lines, want, "{text:?}");
        }
        // A CR cut from its LF at a buffer boundary is still one line end.
        let mut text = "x".repeat(64 * 1024 - 1);
        text.push_str("\r\nB\r\n");
        let mut out = String::new();
        LfOnly::new(text.as_bytes())
            .read_to_string(&mut out)
            .unwrap();
        assert!(out.ends_with("x\nB\n") && !out.contains('\r'));
    }

    #[test]
    fn reads_windows_1252() {
        let p = tmp(
            "latin.csv",
            b"nom,ville\nSoci\xe9t\xe9 G\xe9n\xe9rale,Orl\xe9ans\n",
        );
        let probe = probe(&p, Format::Csv, &Options::default(), &Limits::default(), 10).unwrap();
        assert_eq!(probe.encoding, Some(Encoding::Windows1252));
        assert_eq!(probe.sample[0].cells, vec!["Société Générale", "Orléans"]);
        // Forced to UTF-8, the same row is reported, not garbled.
        let items = all_rows(
            &p,
            Format::Csv,
            &Options {
                encoding: Some(Encoding::Utf8),
                delimiter: Some(b','),
                sheet: None,
            },
        );
        assert!(matches!(&items[1], Item::Bad(b) if b.code == "invalid_encoding" && b.line == 2));
    }

    #[test]
    fn writes_then_reads_xlsx() {
        let dir = std::env::temp_dir().join(format!("relais-sheets-x-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.xlsx");
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("Organisations").unwrap();
        ws.write_string(0, 0, "Nom").unwrap();
        ws.write_string(0, 1, "Montant").unwrap();
        ws.write_string(1, 0, "Azur").unwrap();
        ws.write_number(1, 1, 2500000.0).unwrap();
        ws.write_string(3, 0, "Après un trou").unwrap();
        ws.write_number(3, 1, 12.5).unwrap();
        wb.add_worksheet().set_name("Autre").unwrap();
        wb.save(&path).unwrap();
        let probe = probe(
            &path,
            Format::Xlsx,
            &Options::default(),
            &Limits::default(),
            10,
        )
        .unwrap();
        assert_eq!(probe.sheets, vec!["Organisations", "Autre"]);
        assert_eq!(probe.headers, vec!["Nom", "Montant"]);
        assert_eq!(
            probe.sample,
            vec![
                Row {
                    line: 2,
                    cells: vec!["Azur".into(), "2500000".into()]
                },
                Row {
                    line: 4,
                    cells: vec!["Après un trou".into(), "12.5".into()]
                },
            ]
        );
        let err = super::probe(
            &path,
            Format::Xlsx,
            &Options {
                sheet: Some("Nope".into()),
                ..Default::default()
            },
            &Limits::default(),
            10,
        )
        .unwrap_err();
        assert_eq!(err.code, "sheet_not_found");
        // Truncated: a clear error, no panic.
        let bytes = std::fs::read(&path).unwrap();
        let cut = tmp("cut.xlsx", &bytes[..bytes.len() / 2]);
        let err = super::probe(
            &cut,
            Format::Xlsx,
            &Options::default(),
            &Limits::default(),
            10,
        )
        .unwrap_err();
        assert_eq!(err.code, "corrupt_file");
        // A part that claims to expand beyond the limit is refused before inflating.
        let small = Limits {
            max_expanded_bytes: 100,
            ..Limits::default()
        };
        let err = super::probe(&path, Format::Xlsx, &Options::default(), &small, 10).unwrap_err();
        assert_eq!(err.code, "file_too_large");
    }
}

//! View logic of the import wizard and the export buttons, tested on the host.

/// What an export button asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    /// CSV with `;`, what Excel expects in French.
    CsvSemicolon,
    Xlsx,
    Pdf,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 4] = [Self::Csv, Self::CsvSemicolon, Self::Xlsx, Self::Pdf];

    /// The locale key of the button.
    pub fn label_key(self) -> &'static str {
        match self {
            Self::Csv => "export.csv",
            Self::CsvSemicolon => "export.csv_semicolon",
            Self::Xlsx => "export.xlsx",
            Self::Pdf => "export.pdf",
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Self::Csv => "export-csv",
            Self::CsvSemicolon => "export-csv-semicolon",
            Self::Xlsx => "export-xlsx",
            Self::Pdf => "export-pdf",
        }
    }

    fn params(self) -> &'static str {
        match self {
            Self::Csv => "format=csv",
            Self::CsvSemicolon => "format=csv&delimiter=semicolon",
            Self::Xlsx => "format=xlsx",
            Self::Pdf => "format=pdf",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv | Self::CsvSemicolon => "csv",
            Self::Xlsx => "xlsx",
            Self::Pdf => "pdf",
        }
    }
}

/// The export URL of a list shown with `list_query` (its filters and sort; paging dropped).
pub fn export_path(resource: &str, list_query: &str, format: ExportFormat) -> String {
    let kept: Vec<&str> = list_query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let name = p.split('=').next().unwrap_or("");
            !matches!(name, "limit" | "cursor" | "count" | "format" | "delimiter")
        })
        .collect();
    let mut q = kept.join("&");
    if !q.is_empty() {
        q.push('&');
    }
    q.push_str(format.params());
    format!("/api/v1/exports/{resource}?{q}")
}

/// The path that starts the same export as a background job.
pub fn export_job_path(resource: &str, list_query: &str, format: ExportFormat) -> String {
    export_path(resource, list_query, format).replacen(
        &format!("/exports/{resource}?"),
        &format!("/exports/{resource}/jobs?"),
        1,
    )
}

/// The name a download is saved under: `organisations-2026-03-01.xlsx`.
pub fn export_file_name(resource: &str, date: &str, format: ExportFormat) -> String {
    format!("{resource}-{date}.{}", format.extension())
}

/// How far a job got, 0–100 (0 while the total is unknown).
pub fn percent(done: u64, total: Option<u64>) -> u32 {
    match total {
        Some(t) if t > 0 => ((done.min(t) * 100) / t) as u32,
        _ => 0,
    }
}

/// Import and job statuses that are over.
pub fn finished(status: &str) -> bool {
    matches!(
        status,
        "succeeded" | "failed" | "cancelled" | "completed" | "validated"
    )
}

/// The locale key of an import status.
pub fn status_key(status: &str) -> &'static str {
    match status {
        "ready" => "import.status.ready",
        "validating" => "import.status.validating",
        "validated" => "import.status.validated",
        "running" => "import.status.running",
        "completed" => "import.status.completed",
        "failed" => "import.status.failed",
        "cancelled" => "import.status.cancelled",
        _ => "import.status.unknown",
    }
}

/// A delimiter as people read it.
pub fn delimiter_key(d: &str) -> &'static str {
    match d {
        ";" => "import.delimiter.semicolon",
        "\t" => "import.delimiter.tab",
        _ => "import.delimiter.comma",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_paths_keep_filters_and_drop_paging() {
        assert_eq!(
            export_path(
                "organisations",
                "limit=25&sort=-name&stage=qualification&cursor=abc",
                ExportFormat::Xlsx
            ),
            "/api/v1/exports/organisations?sort=-name&stage=qualification&format=xlsx"
        );
        assert_eq!(
            export_path("people", "", ExportFormat::CsvSemicolon),
            "/api/v1/exports/people?format=csv&delimiter=semicolon"
        );
        assert_eq!(
            export_job_path("people", "limit=25&q=martin", ExportFormat::Xlsx),
            "/api/v1/exports/people/jobs?q=martin&format=xlsx"
        );
        assert_eq!(
            export_file_name("organisations", "2026-03-01", ExportFormat::Pdf),
            "organisations-2026-03-01.pdf"
        );
    }

    #[test]
    fn progress_and_statuses() {
        assert_eq!(percent(0, None), 0);
        assert_eq!(percent(50, Some(200)), 25);
        assert_eq!(percent(300, Some(200)), 100);
        assert_eq!(percent(3, Some(0)), 0);
        assert!(finished("completed") && finished("succeeded") && !finished("running"));
        assert_eq!(status_key("validating"), "import.status.validating");
        assert_eq!(delimiter_key("\t"), "import.delimiter.tab");
    }
}

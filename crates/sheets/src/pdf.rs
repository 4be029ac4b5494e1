//! PDF reports: a branded title band, the filters used, summary counts, a table repeated
//! page after page with its header, and "page n / N" footers. A4 landscape, the built-in
//! Helvetica (WinAnsi: French accents print; other scripts show as `?`).

use printpdf::{
    BuiltinFont, Color, Mm, Op, PaintMode, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions,
    Point, Pt, Rect, Rgb, TextItem,
};

/// What goes in a report.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// E.g. "Organisations".
    pub title: String,
    /// E.g. "Acme Gestion · exporté le 2026-03-01 10:00 UTC par Claire Martin".
    pub subtitle: String,
    /// Heading of the filters block and its lines ("Étape : prospect").
    pub filters_title: String,
    pub filters: Vec<String>,
    /// Heading of the summary and its (label, value) pairs.
    pub summary_title: String,
    pub summary: Vec<(String, String)>,
    /// Table header and relative column widths.
    pub columns: Vec<(String, f32)>,
    pub rows: Vec<Vec<String>>,
    /// Shown under the table when rows were left out (e.g. "5 000 premières lignes sur 12 000").
    pub note: Option<String>,
    /// Footer pattern with `{page}` and `{pages}`.
    pub page_label: String,
}

const W: f32 = 297.0;
const H: f32 = 210.0;
const MARGIN: f32 = 12.0;
const ROW_H: f32 = 5.2;
const FONT_SIZE: f32 = 7.5;

fn rgb(r: f32, g: f32, b: f32) -> Color {
    Color::Rgb(Rgb {
        r,
        g,
        b,
        icc_profile: None,
    })
}

fn brand() -> Color {
    rgb(0.122, 0.227, 0.373)
}

fn text(ops: &mut Vec<Op>, x: f32, y: f32, size: f32, bold: bool, color: Color, s: &str) {
    ops.push(Op::StartTextSection);
    ops.push(Op::SetFont {
        font: PdfFontHandle::Builtin(if bold {
            BuiltinFont::HelveticaBold
        } else {
            BuiltinFont::Helvetica
        }),
        size: Pt(size),
    });
    ops.push(Op::SetFillColor { col: color });
    ops.push(Op::SetTextCursor {
        pos: Point::new(Mm(x), Mm(y)),
    });
    ops.push(Op::ShowText {
        items: vec![TextItem::Text(s.to_owned())],
    });
    ops.push(Op::EndTextSection);
}

fn rect(ops: &mut Vec<Op>, x: f32, y: f32, w: f32, h: f32, color: Color) {
    ops.push(Op::SetFillColor { col: color });
    ops.push(Op::DrawRectangle {
        rectangle: Rect {
            x: Mm(x).into_pt(),
            y: Mm(y).into_pt(),
            width: Mm(w).into_pt(),
            height: Mm(h).into_pt(),
            mode: Some(PaintMode::Fill),
            winding_order: None,
        },
    });
}

/// Cut `s` to what fits in `width_mm` at `size` points (Helvetica averages about half an em
/// per character), with an ellipsis; newlines become spaces.
fn fit(s: &str, width_mm: f32, size: f32) -> String {
    let em_mm = size * 25.4 / 72.0;
    let max = ((width_mm - 1.5) / (em_mm * 0.52)).floor().max(1.0) as usize;
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() <= max {
        flat
    } else {
        let mut out: String = flat.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

impl Report {
    /// Lay the report out and serialise it.
    pub fn render(&self) -> Vec<u8> {
        let total_w: f32 = self.columns.iter().map(|c| c.1).sum::<f32>().max(1.0);
        let usable = W - 2.0 * MARGIN;
        let widths: Vec<f32> = self
            .columns
            .iter()
            .map(|c| c.1 / total_w * usable)
            .collect();
        let mut pages: Vec<Vec<Op>> = Vec::new();
        let mut ops = Vec::new();
        // First page: title band, filters and summary.
        rect(&mut ops, 0.0, H - 24.0, W, 24.0, brand());
        text(
            &mut ops,
            MARGIN,
            H - 12.0,
            17.0,
            true,
            rgb(1.0, 1.0, 1.0),
            &fit(&self.title, usable, 17.0),
        );
        text(
            &mut ops,
            MARGIN,
            H - 19.0,
            9.0,
            false,
            rgb(0.85, 0.9, 0.97),
            &fit(&self.subtitle, usable, 9.0),
        );
        let mut y = H - 32.0;
        let block = |ops: &mut Vec<Op>, y: &mut f32, title: &str, lines: &[String]| {
            if lines.is_empty() {
                return;
            }
            text(ops, MARGIN, *y, 10.0, true, brand(), title);
            *y -= 5.0;
            for l in lines {
                text(
                    ops,
                    MARGIN + 2.0,
                    *y,
                    8.5,
                    false,
                    rgb(0.1, 0.1, 0.1),
                    &fit(l, usable, 8.5),
                );
                *y -= 4.2;
            }
            *y -= 2.5;
        };
        block(&mut ops, &mut y, &self.filters_title, &self.filters);
        let summary: Vec<String> = self
            .summary
            .iter()
            .map(|(k, v)| format!("{k} : {v}"))
            .collect();
        block(&mut ops, &mut y, &self.summary_title, &summary);
        let header = |ops: &mut Vec<Op>, y: f32| {
            rect(ops, MARGIN, y - 1.6, usable, ROW_H, brand());
            let mut x = MARGIN;
            for (i, (title, _)) in self.columns.iter().enumerate() {
                text(
                    ops,
                    x + 1.0,
                    y,
                    FONT_SIZE,
                    true,
                    rgb(1.0, 1.0, 1.0),
                    &fit(title, widths[i], FONT_SIZE),
                );
                x += widths[i];
            }
        };
        y -= 2.0;
        header(&mut ops, y);
        y -= ROW_H;
        for (n, row) in self.rows.iter().enumerate() {
            if y < MARGIN + 8.0 {
                pages.push(std::mem::take(&mut ops));
                y = H - MARGIN - 4.0;
                header(&mut ops, y);
                y -= ROW_H;
            }
            if !n.is_multiple_of(2) {
                rect(
                    &mut ops,
                    MARGIN,
                    y - 1.6,
                    usable,
                    ROW_H,
                    rgb(0.93, 0.95, 0.98),
                );
            }
            let mut x = MARGIN;
            for (i, w) in widths.iter().enumerate() {
                let cell = row.get(i).map(String::as_str).unwrap_or("");
                text(
                    &mut ops,
                    x + 1.0,
                    y,
                    FONT_SIZE,
                    false,
                    rgb(0.1, 0.1, 0.1),
                    &fit(cell, *w, FONT_SIZE),
                );
                x += w;
            }
            y -= ROW_H;
        }
        if let Some(note) = &self.note {
            if y < MARGIN + 8.0 {
                pages.push(std::mem::take(&mut ops));
                y = H - MARGIN - 4.0;
            }
            text(
                &mut ops,
                MARGIN,
                y - 1.0,
                8.0,
                false,
                rgb(0.35, 0.35, 0.35),
                note,
            );
        }
        pages.push(ops);
        let count = pages.len();
        let pdf_pages: Vec<PdfPage> = pages
            .into_iter()
            .enumerate()
            .map(|(i, mut ops)| {
                let label = self
                    .page_label
                    .replace("{page}", &(i + 1).to_string())
                    .replace("{pages}", &count.to_string());
                text(
                    &mut ops,
                    W - MARGIN - 30.0,
                    6.0,
                    8.0,
                    false,
                    rgb(0.35, 0.35, 0.35),
                    &label,
                );
                text(
                    &mut ops,
                    MARGIN,
                    6.0,
                    8.0,
                    false,
                    rgb(0.35, 0.35, 0.35),
                    &fit(&self.title, 150.0, 8.0),
                );
                PdfPage::new(Mm(W), Mm(H), ops)
            })
            .collect();
        let mut doc = PdfDocument::new(&self.title);
        doc.with_pages(pdf_pages)
            .save(&PdfSaveOptions::default(), &mut Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_pages_with_numbers() {
        let report = Report {
            title: "Organisations".into(),
            subtitle: "Acme · 2026-03-01".into(),
            filters_title: "Filtres".into(),
            filters: vec!["Étape : prospect".into()],
            summary_title: "Résumé".into(),
            summary: vec![("Total".into(), "120".into())],
            columns: vec![("Nom".into(), 3.0), ("Ville".into(), 1.0)],
            rows: (0..120)
                .map(|i| vec![format!("Société n° {i}"), "Orléans".into()])
                .collect(),
            note: None,
            page_label: "Page {page} / {pages}".into(),
        };
        let pdf = report.render();
        assert!(pdf.starts_with(b"%PDF-"));
        let pages = String::from_utf8_lossy(&pdf).matches("/Type /Page").count()
            + String::from_utf8_lossy(&pdf).matches("/Type/Page").count();
        assert!(pages >= 3, "120 rows take several pages");
    }

    #[test]
    fn fits_long_text() {
        assert_eq!(fit("court", 50.0, 8.0), "court");
        let long = fit(&"x".repeat(500), 20.0, 8.0);
        assert!(long.ends_with('…') && long.chars().count() < 50);
    }
}

//! Files served as downloads: the attachment header and a body streamed from disk in chunks,
//! so a large export or error report never sits whole in memory.

use crate::error::{ApiError, ApiResult};
use actix_web::{
    HttpResponse,
    http::header::{
        self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
    },
    web::Bytes,
};
use futures_util::stream;
use std::path::PathBuf;
use tokio::io::AsyncReadExt;

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const CSV: &str = "text/csv; charset=utf-8";
pub const PDF: &str = "application/pdf";

/// `Content-Disposition: attachment` with an ASCII fallback and the UTF-8 name.
pub fn attachment(file_name: &str) -> ContentDisposition {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(ascii),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: file_name.as_bytes().to_vec(),
            }),
        ],
    }
}

/// Stream a file from disk as a download; `remove_after` deletes it once sent (temporary
/// exports).
pub async fn download(
    path: PathBuf,
    content_type: &'static str,
    file_name: &str,
    remove_after: bool,
) -> ApiResult<HttpResponse> {
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| ApiError::internal(format!("{}: {e}", path.display())))?;
    if remove_after {
        // Unlinked now, read through the open handle: nothing is left behind even if the
        // client goes away half-way.
        let _ = tokio::fs::remove_file(&path).await;
    }
    let body = stream::unfold(Some(file), |state| async move {
        let mut file = state?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(Bytes::from(buf)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header(attachment(file_name))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .streaming(body))
}

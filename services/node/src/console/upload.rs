//! A POSTed `multipart/form-data` form with one file (the CSV upload, C-01), accepted
//! only from this console: the same checks as [`super::Posted`] (`admit`: a POST from
//! a page of this console by a logged-in clerk; `token_ok`: the session's CSRF token),
//! and the token is checked before any byte of the file is read — the form must send
//! its `csrf` field first (it is the form's first input).

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use axum::response::Response;

use super::{Clerk, Shared, admit, refused, token_ok};

/// The name of the file field.
pub const FILE_FIELD: &str = "file";

/// Longest text field accepted beside the file (the choices are short words).
const TEXT_FIELD_MAX: usize = 4 * 1024;

/// The uploaded file, as far as it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upload {
    /// No file was chosen (the browser sends an empty part without a file name).
    Missing,
    /// The file's name (as the browser gave it) and its bytes.
    Received { name: String, bytes: Vec<u8> },
    /// The request was larger than the route's body limit; `size` is the request's
    /// length as announced (or what had arrived when it was cut).
    TooLarge { size: usize },
}

/// A POSTed upload form: the clerk, the text fields (in order) and the file.
pub struct PostedFile {
    pub clerk: Clerk,
    pub fields: Vec<(String, String)>,
    pub file: Upload,
}

impl PostedFile {
    /// The value of text field `name` (empty when not sent).
    pub fn field(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.as_str())
    }
}

impl FromRequest<Shared> for PostedFile {
    type Rejection = Response;

    async fn from_request(request: Request, state: &Shared) -> Result<PostedFile, Response> {
        let (clerk, request) = admit(request, state).await?;
        let announced = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let multipart = Multipart::from_request(request, state)
            .await
            .map_err(|error| {
                tracing::warn!(%error, "console upload refused: not multipart/form-data");
                refused()
            })?;
        let (fields, file) =
            read_upload(multipart, announced, |token| token_ok(&clerk, token)).await?;
        Ok(PostedFile {
            clerk,
            fields,
            file,
        })
    }
}

/// Reads the parts of an upload form: the first must be `csrf`, which `token_ok` judges
/// before anything else is read; then the file ([`FILE_FIELD`], the first one only)
/// and short text fields. A body over the limit gives [`Upload::TooLarge`], not a
/// refusal, so that the page can say so.
pub async fn read_upload(
    mut multipart: Multipart,
    announced: Option<usize>,
    token_ok: impl FnOnce(&str) -> bool,
) -> Result<(Vec<(String, String)>, Upload), Response> {
    let too_large = |error: &axum::extract::multipart::MultipartError, read: usize| {
        (error.status() == StatusCode::PAYLOAD_TOO_LARGE).then(|| Upload::TooLarge {
            size: announced.unwrap_or(read).max(read),
        })
    };
    let unreadable = |error: axum::extract::multipart::MultipartError| {
        tracing::warn!(%error, "console upload refused: the form could not be read");
        refused()
    };
    // The token first: nothing of the file is read before it is checked.
    let first = match multipart.next_field().await {
        Ok(Some(field)) if field.name() == Some("csrf") => field,
        Ok(_) => {
            tracing::warn!("console upload refused: the form does not start with its token");
            return Err(refused());
        }
        Err(error) => {
            return match too_large(&error, 0) {
                // Cut before the token: nothing is read or written, the page says why.
                Some(upload) => Err(too_large_before_token(upload)),
                None => Err(unreadable(error)),
            };
        }
    };
    let token = first.text().await.map_err(unreadable)?;
    if !token_ok(&token) {
        return Err(refused());
    }
    let mut fields = Vec::new();
    let mut file = Upload::Missing;
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => match too_large(&error, 0) {
                Some(upload) => {
                    file = upload;
                    break;
                }
                None => return Err(unreadable(error)),
            },
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == FILE_FIELD && file == Upload::Missing {
            let file_name = field.file_name().unwrap_or_default().to_string();
            let mut bytes = Vec::new();
            let cut = loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                    Ok(None) => break None,
                    Err(error) => match too_large(&error, bytes.len()) {
                        Some(upload) => break Some(upload),
                        None => return Err(unreadable(error)),
                    },
                }
            };
            if let Some(upload) = cut {
                file = upload;
                break;
            }
            file = if file_name.is_empty() && bytes.is_empty() {
                Upload::Missing
            } else {
                Upload::Received {
                    name: file_name,
                    bytes,
                }
            };
            continue;
        }
        let mut text = Vec::new();
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    text.extend_from_slice(&chunk);
                    if text.len() > TEXT_FIELD_MAX {
                        tracing::warn!(field = %name, "console upload refused: a text field is too long");
                        return Err(refused());
                    }
                }
                Ok(None) => break,
                Err(error) => match too_large(&error, 0) {
                    Some(upload) => {
                        file = upload;
                        break;
                    }
                    None => return Err(unreadable(error)),
                },
            }
        }
        if matches!(file, Upload::TooLarge { .. }) {
            break;
        }
        fields.push((name, String::from_utf8_lossy(&text).into_owned()));
    }
    Ok((fields, file))
}

/// A body cut off before its token could be read: the size is said, nothing else.
fn too_large_before_token(upload: Upload) -> Response {
    let Upload::TooLarge { size } = upload else {
        return refused();
    };
    let message = anpi_files::FileError::TooLarge {
        size,
        limit: anpi_files::MAX_FILE_BYTES,
    }
    .to_string();
    super::message_page(
        StatusCode::PAYLOAD_TOO_LARGE,
        "ファイルを受け付けられません",
        &format!("{message}。何も登録していません。"),
    )
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use axum::body::Body;

    use super::*;

    const BOUNDARY: &str = "XyZboundary";

    fn part(name: &str, file: Option<&str>, body: &[u8]) -> Vec<u8> {
        let mut out =
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"").into_bytes();
        if let Some(file) = file {
            out.extend_from_slice(format!("; filename=\"{file}\"").as_bytes());
            out.extend_from_slice(b"\r\nContent-Type: text/csv");
        }
        out.extend_from_slice(b"\r\n\r\n");
        out.extend_from_slice(body);
        out.extend_from_slice(b"\r\n");
        out
    }

    /// The form as a request body: in 16 KiB pieces that arrive one at a time, as
    /// over a connection (`paced`), or all at once.
    async fn multipart_with(parts: &[Vec<u8>], paced: bool) -> (Multipart, usize) {
        use futures::StreamExt;
        let mut body: Vec<u8> = parts.concat();
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        let length = body.len();
        let size = if paced { 16 * 1024 } else { length };
        let pieces: Vec<Vec<u8>> = body.chunks(size).map(<[u8]>::to_vec).collect();
        // Each piece after the first is not there yet when first asked for.
        let stream = futures::stream::iter(pieces.into_iter().enumerate()).then(
            |(index, piece)| async move {
                if index > 0 {
                    tokio::task::yield_now().await;
                }
                Ok::<_, std::io::Error>(piece)
            },
        );
        let request = Request::builder()
            .method("POST")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(Body::from_stream(stream))
            .unwrap();
        (Multipart::from_request(request, &()).await.unwrap(), length)
    }

    async fn multipart(parts: &[Vec<u8>]) -> (Multipart, usize) {
        multipart_with(parts, true).await
    }

    fn token_is(expected: &'static str, seen: &Cell<bool>) -> impl FnOnce(&str) -> bool {
        move |token: &str| {
            seen.set(true);
            token == expected
        }
    }

    #[tokio::test]
    async fn the_token_comes_first_and_is_checked_before_the_file() {
        let seen = Cell::new(false);
        let (form, _) = multipart(&[
            part("csrf", None, b"good"),
            part("file", Some("a.csv"), "様式\r\n".as_bytes()),
            part("mode", None, b"check"),
        ])
        .await;
        let (fields, file) = read_upload(form, None, token_is("good", &seen))
            .await
            .unwrap();
        assert!(seen.get());
        assert_eq!(fields, [("mode".to_string(), "check".to_string())]);
        assert_eq!(
            file,
            Upload::Received {
                name: "a.csv".into(),
                bytes: "様式\r\n".as_bytes().to_vec()
            }
        );

        let seen = Cell::new(false);
        let (form, _) = multipart(&[
            part("csrf", None, b"stale"),
            part("file", Some("a.csv"), b"x"),
        ])
        .await;
        let refused = read_upload(form, None, token_is("good", &seen)).await;
        assert_eq!(refused.unwrap_err().status(), StatusCode::FORBIDDEN);

        // A file before the token: refused without judging any token.
        let seen = Cell::new(false);
        let (form, _) = multipart(&[
            part("file", Some("a.csv"), b"x"),
            part("csrf", None, b"good"),
        ])
        .await;
        let refused = read_upload(form, None, token_is("good", &seen)).await;
        assert_eq!(refused.unwrap_err().status(), StatusCode::FORBIDDEN);
        assert!(!seen.get());
    }

    #[tokio::test]
    async fn no_file_chosen_is_missing_and_a_body_over_the_limit_is_too_large() {
        let seen = Cell::new(false);
        let (form, _) =
            multipart(&[part("csrf", None, b"good"), part("file", Some(""), b"")]).await;
        let (_, file) = read_upload(form, None, token_is("good", &seen))
            .await
            .unwrap();
        assert_eq!(file, Upload::Missing);

        // Without a DefaultBodyLimit layer axum's default limit (2 MB) applies.
        let big = vec![b'a'; 3 * 1024 * 1024];
        let seen = Cell::new(false);
        let (form, length) = multipart(&[
            part("csrf", None, b"good"),
            part("file", Some("big.csv"), &big),
            part("mode", None, b"check"),
        ])
        .await;
        let (fields, file) = read_upload(form, Some(length), token_is("good", &seen))
            .await
            .unwrap();
        assert!(seen.get(), "the token was read before the limit was hit");
        assert!(fields.is_empty());
        assert_eq!(file, Upload::TooLarge { size: length });

        // Arrived all at once: the limit is hit before the token is read; the page
        // says the file is too large, and nothing else happens.
        let seen = Cell::new(false);
        let (form, length) = multipart_with(
            &[
                part("csrf", None, b"good"),
                part("file", Some("big.csv"), &big),
            ],
            false,
        )
        .await;
        let refused = read_upload(form, Some(length), token_is("good", &seen)).await;
        assert_eq!(refused.unwrap_err().status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(!seen.get());
    }
}

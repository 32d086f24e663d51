//! The publish body: a multipart stream with one part per role (spec-server §3.1–3.3).
//!
//! Hand-written on purpose: the whole body is already in memory (bounded) because validation
//! needs every byte, and Go's exact error mapping matters (`MALFORMED_UPLOAD` for a broken
//! stream, `NO_FILENAME` for an unparsable `Content-Disposition`, the raw `filename` parameter
//! kept with its slashes, the field name ignored). The general-purpose multipart crates reject
//! or normalise some of these cases differently.

/// Why a body was rejected.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum MultipartError {
    #[error("the body is not a readable multipart stream")]
    Malformed,
    #[error("a part has no usable Content-Disposition filename")]
    NoFilename,
    #[error("more than {0} parts")]
    TooManyParts(usize),
}

/// One uploaded part: the role name (filename with one `.json` removed) and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    pub body: Vec<u8>,
}

/// The boundary of a `multipart/form-data` or `multipart/mixed` Content-Type.
pub fn boundary(content_type: Option<&str>) -> Result<String, MultipartError> {
    let ct = content_type.ok_or(MultipartError::Malformed)?;
    let (media, params) = parse_media_type(ct).ok_or(MultipartError::Malformed)?;
    if media != "multipart/form-data" && media != "multipart/mixed" {
        return Err(MultipartError::Malformed);
    }
    params
        .into_iter()
        .find(|(k, _)| k == "boundary")
        .map(|(_, v)| v)
        .filter(|b| !b.is_empty())
        .ok_or(MultipartError::Malformed)
}

/// The first empty line at or after `from` (`\n\n`, or `\r\n\r\n`): (end of the headers, start of
/// the body). One pass that stops at the first match, so a body with no empty line costs one
/// scan, not one per part and line-ending style.
fn header_end(body: &[u8], from: usize) -> Option<(usize, usize)> {
    let rest = body.get(from..)?;
    rest.iter().enumerate().find_map(|(i, &c)| {
        if c != b'\n' {
            return None;
        }
        let at = from + i;
        let after = &rest[i + 1..];
        if after.starts_with(b"\n") {
            Some((at + 1, at + 2))
        } else if i > 0 && rest[i - 1] == b'\r' && after.starts_with(b"\r\n") {
            Some((at + 1, at + 3))
        } else {
            None
        }
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Skips optional linear whitespace then one line ending; `None` if something else follows.
fn skip_line_end(body: &[u8], mut i: usize) -> Option<usize> {
    while i < body.len() && (body[i] == b' ' || body[i] == b'\t') {
        i += 1;
    }
    if body[i..].starts_with(b"\r\n") {
        Some(i + 2)
    } else if body[i..].starts_with(b"\n") {
        Some(i + 1)
    } else {
        None
    }
}

/// Splits the body into parts. Parts without a filename are errors, as in Go.
pub fn parse(body: &[u8], boundary: &str, max_parts: usize) -> Result<Vec<Part>, MultipartError> {
    let dash = format!("--{boundary}");
    let delim = format!("\n--{boundary}");
    // First boundary: at the very start or after a newline (preamble ignored).
    let mut pos = if body.starts_with(dash.as_bytes()) {
        dash.len()
    } else {
        find(body, delim.as_bytes(), 0).ok_or(MultipartError::Malformed)? + delim.len()
    };
    let mut parts = Vec::new();
    loop {
        if body[pos..].starts_with(b"--") {
            return Ok(parts);
        }
        pos = skip_line_end(body, pos).ok_or(MultipartError::Malformed)?;
        // Headers end at the first empty line.
        let (hdr_end, body_start) = if body[pos..].starts_with(b"\r\n") {
            (pos, pos + 2)
        } else if body[pos..].starts_with(b"\n") {
            (pos, pos + 1)
        } else {
            header_end(body, pos).ok_or(MultipartError::Malformed)?
        };
        let headers =
            std::str::from_utf8(&body[pos..hdr_end]).map_err(|_| MultipartError::Malformed)?;
        let end = find(body, delim.as_bytes(), body_start).ok_or(MultipartError::Malformed)?;
        let content_end = if end > body_start && body[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        if parts.len() >= max_parts {
            return Err(MultipartError::TooManyParts(max_parts));
        }
        parts.push(Part {
            name: part_name(headers)?,
            body: body[body_start..content_end.max(body_start)].to_vec(),
        });
        pos = end + delim.len();
    }
}

/// The role name from `Content-Disposition`'s raw `filename` parameter, one `.json` removed.
fn part_name(headers: &str) -> Result<String, MultipartError> {
    let cd = headers
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-disposition"))
        .map(|(_, v)| v.trim())
        .ok_or(MultipartError::NoFilename)?;
    let (_, params) = parse_media_type(cd).ok_or(MultipartError::NoFilename)?;
    let filename = params
        .into_iter()
        .find(|(k, _)| k == "filename")
        .map(|(_, v)| v)
        .unwrap_or_default();
    let name = filename.strip_suffix(".json").unwrap_or(&filename);
    if name.is_empty() {
        return Err(MultipartError::NoFilename);
    }
    Ok(name.to_string())
}

fn is_token_char(c: char) -> bool {
    c.is_ascii() && !c.is_ascii_control() && !" ()<>@,;:\\\"/[]?=".contains(c)
}

/// A Go `mime.ParseMediaType` equivalent: `type/subtype; k=v; k="quoted"`. Keys are
/// lower-cased; duplicate keys are an error.
fn parse_media_type(s: &str) -> Option<(String, Vec<(String, String)>)> {
    let (media, mut rest) = match s.find(';') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    };
    let media = media.trim().to_ascii_lowercase();
    if media.is_empty() || !media.chars().all(|c| is_token_char(c) || c == '/') {
        return None;
    }
    let mut params: Vec<(String, String)> = Vec::new();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        rest = rest.strip_prefix(';')?.trim_start();
        if rest.is_empty() {
            break;
        }
        let key_len = rest.find(|c: char| !is_token_char(c)).unwrap_or(rest.len());
        if key_len == 0 {
            return None;
        }
        let key = rest[..key_len].to_ascii_lowercase();
        rest = rest[key_len..].trim_start().strip_prefix('=')?.trim_start();
        let value;
        if let Some(q) = rest.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = q.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => out.push(chars.next()?.1),
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => out.push(c),
                }
            }
            rest = &q[end?..];
            value = out;
        } else {
            let len = rest.find(|c: char| !is_token_char(c)).unwrap_or(rest.len());
            if len == 0 {
                return None;
            }
            value = rest[..len].to_string();
            rest = &rest[len..];
        }
        if params.iter().any(|(k, _)| *k == key) {
            return None;
        }
        params.push((key, value));
    }
    Some((media, params))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_end_at_the_first_empty_line_of_either_style() {
        assert_eq!(header_end(b"a: 1\r\n\r\nbody", 0), Some((6, 8)));
        assert_eq!(header_end(b"a: 1\n\nbody", 0), Some((5, 6)));
        // Whichever empty line comes first wins.
        assert_eq!(header_end(b"a: 1\n\nx\r\n\r\n", 0), Some((5, 6)));
        assert_eq!(header_end(b"a: 1\r\n\r\nx\n\n", 0), Some((6, 8)));
        // A lone `\n\r\n` is not an empty line; no empty line at all is None.
        assert_eq!(header_end(b"a: 1\n\r\nb", 0), None);
        assert_eq!(header_end(b"a: 1\r\nb: 2\r\n", 0), None);
        assert_eq!(header_end(b"x", 5), None);
    }

    fn body(parts: &[(&str, &str)]) -> Vec<u8> {
        let mut b = String::new();
        for (cd, content) in parts {
            b.push_str(&format!(
                "--XyZ\r\nContent-Disposition: {cd}\r\nContent-Type: application/octet-stream\r\n\r\n{content}\r\n"
            ));
        }
        b.push_str("--XyZ--\r\n");
        b.into_bytes()
    }

    #[test]
    fn parses_go_client_parts() {
        let b = body(&[
            (
                "form-data; name=\"files\"; filename=\"targets/releases\"",
                "{\"a\":1}",
            ),
            (
                "form-data; name=\"files\"; filename=\"root.json\"",
                "x\r\ny",
            ),
        ]);
        let parts = parse(&b, "XyZ", 10).unwrap();
        assert_eq!(parts[0].name, "targets/releases");
        assert_eq!(parts[0].body, b"{\"a\":1}");
        assert_eq!(parts[1].name, "root");
        assert_eq!(parts[1].body, b"x\r\ny");
    }

    #[test]
    fn bad_bodies() {
        assert_eq!(parse(b"", "XyZ", 10), Err(MultipartError::Malformed));
        assert_eq!(parse(b"garbage", "XyZ", 10), Err(MultipartError::Malformed));
        let b = b"--XyZ\r\nContent-Disposition: form-data; filename=\"root\"\r\n\r\nabc";
        assert_eq!(parse(b, "XyZ", 10), Err(MultipartError::Malformed));
        let b = body(&[("form-data; name=\"files\"", "{}")]);
        assert_eq!(parse(&b, "XyZ", 10), Err(MultipartError::NoFilename));
        let b = body(&[("form-data; filename=\"a\"; filename=\"b\"", "{}")]);
        assert_eq!(parse(&b, "XyZ", 10), Err(MultipartError::NoFilename));
        let b = body(&[("form-data; filename=\"a\"", "{}"); 3]);
        assert_eq!(parse(&b, "XyZ", 2), Err(MultipartError::TooManyParts(2)));
        assert_eq!(parse(b"--XyZ--\r\n", "XyZ", 2), Ok(vec![]));
        assert!(boundary(Some("application/json")).is_err());
        assert!(boundary(Some("multipart/form-data")).is_err());
        assert_eq!(
            boundary(Some("multipart/form-data; boundary=abc")).unwrap(),
            "abc"
        );
    }

    #[test]
    fn never_panics_on_garbage() {
        // Deterministic xorshift: bodies stitched from multipart-ish fragments and noise.
        let pieces: [&[u8]; 10] = [
            b"--b",
            b"\r\n",
            b"\n",
            b"--",
            b"Content-Disposition: form-data; filename=\"root\"",
            b"Content-Disposition: ;;=\"",
            b"{\"signed\":{}}",
            b"\r\n\r\n",
            b" \t",
            &[0xff, 0x00, 0xfe],
        ];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            let mut body = Vec::new();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let n = (x % 12) as usize;
            for i in 0..n {
                body.extend_from_slice(pieces[((x >> (i * 4)) % 10) as usize]);
            }
            let _ = parse(&body, "b", 5);
            let _ = notary_tuf::data::SignedMeta::parse(&body);
            let _ = parse_media_type(&String::from_utf8_lossy(&body));
        }
    }
}

//! Assembling a signed metadata file from canonical bytes and signatures (spec-server §10.2).

use crate::data::serde_util::b64_encode;
use crate::data::Signature;

/// `{"signed":<C>,"signatures":[{"keyid":…,"method":…,"sig":…},…]}` with no whitespace and no
/// trailing newline, as Go's `json.Marshal(data.Signed{…})` writes it.
///
/// Go embeds `<C>` through its compactor, which turns `<`, `>`, `&`, U+2028 and U+2029 into
/// `\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029`; that is reproduced here (such characters
/// can only occur inside strings of `<C>`, so a plain byte substitution is exact). Signature
/// strings are written with Go's default (HTML-safe) string escaping.
pub fn assemble_signed(canonical_signed: &[u8], sigs: &[Signature]) -> Vec<u8> {
    let mut out = Vec::with_capacity(canonical_signed.len() + 64 + sigs.len() * 160);
    out.extend_from_slice(b"{\"signed\":");
    html_escape_into(&mut out, canonical_signed);
    out.extend_from_slice(b",\"signatures\":[");
    for (i, s) in sigs.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"keyid\":");
        go_string(&mut out, &s.keyid);
        out.extend_from_slice(b",\"method\":");
        go_string(&mut out, &s.method);
        out.extend_from_slice(b",\"sig\":\"");
        out.extend_from_slice(b64_encode(&s.sig).as_bytes());
        out.extend_from_slice(b"\"}");
    }
    out.extend_from_slice(b"]}");
    out
}

fn html_escape_into(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' => out.extend_from_slice(b"\\u003c"),
            b'>' => out.extend_from_slice(b"\\u003e"),
            b'&' => out.extend_from_slice(b"\\u0026"),
            0xE2 if bytes.get(i + 1) == Some(&0x80)
                && matches!(bytes.get(i + 2), Some(0xA8 | 0xA9)) =>
            {
                out.extend_from_slice(if bytes[i + 2] == 0xA8 {
                    b"\\u2028"
                } else {
                    b"\\u2029"
                });
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
}

/// Go `encoding/json` string encoding with HTML escaping on.
fn go_string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for ch in s.chars() {
        match ch {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            '<' | '>' | '&' | '\u{0}'..='\u{1f}' => {
                let b = ch as u8;
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 0xf) as usize]);
            }
            '\u{2028}' => out.extend_from_slice(b"\\u2028"),
            '\u{2029}' => out.extend_from_slice(b"\\u2029"),
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_strings_use_go_escaping() {
        let sig = Signature {
            keyid: "a\"\\\n\r\t\u{1}<>&\u{2028}é".to_string(),
            method: "ecdsa".to_string(),
            sig: vec![0xff],
        };
        let out = String::from_utf8(assemble_signed(b"{}", &[sig.clone(), sig])).unwrap();
        let one = r#"{"keyid":"a\"\\\n\r\t\u0001\u003c\u003e\u0026\u2028é","method":"ecdsa","sig":"/w=="}"#;
        assert_eq!(
            out,
            format!(r#"{{"signed":{{}},"signatures":[{one},{one}]}}"#)
        );
    }
}

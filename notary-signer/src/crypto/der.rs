//! A minimal DER TLV reader for the two fixed private-key layouts the signer handles
//! (ring's PKCS#8 output and SEC1 `ECPrivateKey`).
//!
//! Hand-written on purpose: ring cannot export an EC private scalar or parse SEC1, and these
//! layouts are tiny and fixed, so a 40-line reader is easier to audit than another ASN.1 crate.

use super::KeyError;

/// DER tag of SEQUENCE.
pub const SEQUENCE: u8 = 0x30;
/// DER tag of INTEGER.
pub const INTEGER: u8 = 0x02;
/// DER tag of OCTET STRING.
pub const OCTET_STRING: u8 = 0x04;
/// DER tag of BIT STRING.
pub const BIT_STRING: u8 = 0x03;
/// DER tag of OBJECT IDENTIFIER.
pub const OID: u8 = 0x06;

/// One TLV read from the front of `input`: `(tag, value, rest)`.
pub fn read(input: &[u8]) -> Result<(u8, &[u8], &[u8]), KeyError> {
    let malformed = || KeyError::Malformed("truncated DER");
    let (&tag, rest) = input.split_first().ok_or_else(malformed)?;
    let (&first, mut rest) = rest.split_first().ok_or_else(malformed)?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 2 || rest.len() < n {
            return Err(KeyError::Malformed("unsupported DER length"));
        }
        let (len_bytes, after) = rest.split_at(n);
        rest = after;
        len_bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
    };
    if rest.len() < len {
        return Err(malformed());
    }
    let (value, rest) = rest.split_at(len);
    Ok((tag, value, rest))
}

/// Reads one TLV and requires its tag to be `tag`; returns `(value, rest)`.
pub fn expect(input: &[u8], tag: u8) -> Result<(&[u8], &[u8]), KeyError> {
    let (t, value, rest) = read(input)?;
    if t != tag {
        return Err(KeyError::Malformed("unexpected DER tag"));
    }
    Ok((value, rest))
}

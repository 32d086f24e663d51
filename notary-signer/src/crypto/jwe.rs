//! JWE compact serialization with PBES2-HS256+A128KW key wrapping and A256GCM content
//! encryption (RFC 7516/7518), byte-compatible with the rows Go Notary's signer writes
//! (jose2go; spec-signer §3.3).

use aes_kw::KekAes128;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use ring::rand::{SecureRandom, SystemRandom};
use std::num::NonZeroU32;
use zeroize::Zeroizing;

/// JWE `alg` written and accepted.
pub const KEY_WRAP_ALG: &str = "PBES2-HS256+A128KW";
/// JWE `enc` written and accepted.
pub const ENCRYPTION_ALG: &str = "A256GCM";
/// PBKDF2 iteration count Go uses.
pub const ITERATIONS: u32 = 8192;
/// Largest `p2c` accepted when decrypting (bounds the work a stored row can demand).
const MAX_ITERATIONS: u32 = 10_000_000;

/// Why a JWE could not be produced or opened.
#[derive(Debug, thiserror::Error)]
pub enum JweError {
    /// Not five dot-separated base64url parts, or a part failed to decode.
    #[error("malformed JWE: {0}")]
    Malformed(&'static str),
    /// `alg`/`enc` other than PBES2-HS256+A128KW / A256GCM, or an unreasonable `p2c`.
    #[error("unsupported JWE header: {0}")]
    Unsupported(String),
    /// Wrong passphrase or tampered data (key unwrap or GCM tag check failed).
    #[error("JWE decryption failed")]
    Decrypt,
    /// The random number generator or a cipher primitive failed.
    #[error("JWE encryption failed")]
    Encrypt,
}

// Sizes in bytes: the PBES2 salt input, the A128KW key-encryption key, the A256GCM content
// key, its IV and its tag.
const SALT_INPUT_LEN: usize = 12;
const KEK_LEN: usize = 16;
const CEK_LEN: usize = 32;
const IV_LEN: usize = 12;
const TAG_LEN: usize = 16;

#[derive(serde::Deserialize)]
struct Header {
    alg: String,
    enc: String,
    p2c: serde_json::Number,
    p2s: String,
}

/// Encrypts `plaintext` under `passphrase` with a fresh salt, CEK and IV.
pub fn encrypt(plaintext: &[u8], passphrase: &[u8]) -> Result<String, JweError> {
    let rng = SystemRandom::new();
    let mut p2s = [0u8; SALT_INPUT_LEN];
    rng.fill(&mut p2s).map_err(|_| JweError::Encrypt)?;
    let mut cek = Zeroizing::new([0u8; CEK_LEN]);
    rng.fill(cek.as_mut()).map_err(|_| JweError::Encrypt)?;
    let mut iv = [0u8; IV_LEN];
    rng.fill(&mut iv).map_err(|_| JweError::Encrypt)?;

    // Go's json.Marshal of a map: keys sorted, compact.
    let header = format!(
        r#"{{"alg":"{KEY_WRAP_ALG}","enc":"{ENCRYPTION_ALG}","p2c":{ITERATIONS},"p2s":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(p2s)
    );
    let header_b64 = URL_SAFE_NO_PAD.encode(header.as_bytes());

    let kek = derive_kek(passphrase, &p2s, ITERATIONS)?;
    let mut wrapped = [0u8; CEK_LEN + 8];
    KekAes128::new(kek.as_ref().into())
        .wrap(cek.as_ref(), &mut wrapped)
        .map_err(|_| JweError::Encrypt)?;

    let key = LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, cek.as_ref()).map_err(|_| JweError::Encrypt)?,
    );
    let mut ciphertext = plaintext.to_vec();
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(iv),
            Aad::from(header_b64.as_bytes()),
            &mut ciphertext,
        )
        .map_err(|_| JweError::Encrypt)?;

    Ok(format!(
        "{header_b64}.{}.{}.{}.{}",
        URL_SAFE_NO_PAD.encode(wrapped),
        URL_SAFE_NO_PAD.encode(iv),
        URL_SAFE_NO_PAD.encode(&ciphertext),
        URL_SAFE_NO_PAD.encode(tag.as_ref()),
    ))
}

/// Decrypts a compact JWE produced by [`encrypt`] or by the Go signer.
pub fn decrypt(token: &str, passphrase: &[u8]) -> Result<Zeroizing<Vec<u8>>, JweError> {
    let parts: Vec<&str> = token.trim().split('.').collect();
    let [header_b64, wrapped, iv, ciphertext, tag] = parts[..] else {
        return Err(JweError::Malformed("expected 5 parts"));
    };
    let decode = |s: &str, what: &'static str| {
        URL_SAFE_NO_PAD
            .decode(s.trim_end_matches('='))
            .map_err(|_| JweError::Malformed(what))
    };
    let header: Header = serde_json::from_slice(&decode(header_b64, "header")?)
        .map_err(|_| JweError::Malformed("header JSON"))?;
    if header.alg != KEY_WRAP_ALG || header.enc != ENCRYPTION_ALG {
        return Err(JweError::Unsupported(format!(
            "alg={} enc={}",
            header.alg, header.enc
        )));
    }
    let p2c = header
        .p2c
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| (1..=MAX_ITERATIONS).contains(n))
        .ok_or_else(|| JweError::Unsupported(format!("p2c={}", header.p2c)))?;
    let p2s = decode(&header.p2s, "p2s")?;
    let wrapped = decode(wrapped, "encrypted key")?;
    let iv: [u8; IV_LEN] = decode(iv, "iv")?
        .try_into()
        .map_err(|_| JweError::Malformed("iv length"))?;
    let mut data = decode(ciphertext, "ciphertext")?;
    let tag = decode(tag, "tag")?;
    if tag.len() != TAG_LEN || wrapped.len() != CEK_LEN + 8 {
        return Err(JweError::Malformed("tag or encrypted key length"));
    }

    let kek = derive_kek(passphrase, &p2s, p2c)?;
    let mut cek = Zeroizing::new([0u8; CEK_LEN]);
    KekAes128::new(kek.as_ref().into())
        .unwrap(&wrapped, cek.as_mut())
        .map_err(|_| JweError::Decrypt)?;

    let key = LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, cek.as_ref()).map_err(|_| JweError::Decrypt)?,
    );
    data.extend_from_slice(&tag);
    let mut data = Zeroizing::new(data);
    let len = key
        .open_in_place(
            Nonce::assume_unique_for_key(iv),
            Aad::from(header_b64.as_bytes()),
            data.as_mut_slice(),
        )
        .map_err(|_| JweError::Decrypt)?
        .len();
    data.truncate(len);
    Ok(data)
}

/// KEK = PBKDF2-HMAC-SHA256(passphrase, alg ‖ 0x00 ‖ p2s, p2c, 16 bytes) (RFC 7518 §4.8.1.1).
fn derive_kek(
    passphrase: &[u8],
    p2s: &[u8],
    iterations: u32,
) -> Result<Zeroizing<[u8; KEK_LEN]>, JweError> {
    let iterations = NonZeroU32::new(iterations).ok_or(JweError::Encrypt)?;
    let mut salt = Vec::with_capacity(KEY_WRAP_ALG.len() + 1 + p2s.len());
    salt.extend_from_slice(KEY_WRAP_ALG.as_bytes());
    salt.push(0);
    salt.extend_from_slice(p2s);
    let mut kek = Zeroizing::new([0u8; KEK_LEN]);
    ring::pbkdf2::derive(
        ring::pbkdf2::PBKDF2_HMAC_SHA256,
        iterations,
        &salt,
        passphrase,
        kek.as_mut(),
    );
    Ok(kek)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_header_shape() {
        let token = encrypt(b"secret key bytes", b"passphrase").unwrap();
        // The character after this prefix also encodes bits of the first p2s character.
        assert!(token.starts_with(
            "eyJhbGciOiJQQkVTMi1IUzI1NitBMTI4S1ciLCJlbmMiOiJBMjU2R0NNIiwicDJjIjo4MTkyLCJwMnMiOi"
        ));
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 5);
        assert_eq!(parts[1].len(), 54); // 40 bytes
        assert_eq!(parts[2].len(), 16); // 12 bytes
        assert_eq!(parts[4].len(), 22); // 16 bytes
        let header = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert!(header.ends_with("\"}") && header.contains(r#""p2c":8192,"p2s":""#));
        assert_eq!(
            decrypt(&token, b"passphrase").unwrap().as_slice(),
            b"secret key bytes"
        );
    }

    #[test]
    fn wrong_passphrase_and_tampering_fail() {
        let token = encrypt(b"x", b"right").unwrap();
        assert!(matches!(decrypt(&token, b"wrong"), Err(JweError::Decrypt)));
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[3] = URL_SAFE_NO_PAD.encode(b"y");
        assert!(decrypt(&parts.join("."), b"right").is_err());
        assert!(matches!(
            decrypt("a.b.c", b"right"),
            Err(JweError::Malformed(_))
        ));
    }
}

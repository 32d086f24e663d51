//! Development PKI for notary-server and notary-signer.
//!
//! Layout (all ECDSA P-256):
//!
//! ```text
//! root-ca            (self-signed CA)
//! └── intermediate-ca
//!     ├── notary-server   TLS server + client auth, SAN localhost, 127.0.0.1, notary-server
//!     ├── notary-signer   TLS server + client auth, SAN localhost, 127.0.0.1, notary-signer
//!     └── expired-client  client auth, validity entirely in the past (negative tests)
//! └── other-intermediate-ca
//!     └── other-intermediate-client  same root, another intermediate (must be refused by the signer)
//! untrusted-root-ca  (an unrelated self-signed CA)
//! └── untrusted-client
//! ```
//!
//! Leaf certificate files hold the leaf followed by its intermediate, because the Go
//! client only presents a client certificate whose chain reaches a CA the server advertises.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType, PKCS_ECDSA_P256_SHA256,
};
use time::{Duration, OffsetDateTime};

/// Paths of every file [`generate`] writes.
#[derive(Debug, Clone)]
pub struct DevPki {
    pub dir: PathBuf,
    /// The root CA certificate: what clients (the `notary` CLI) trust.
    pub root_ca: PathBuf,
    /// The intermediate CA certificate.
    pub intermediate_ca: PathBuf,
    /// Root + intermediate, concatenated.
    pub ca_bundle: PathBuf,
    /// notary-server leaf + intermediate.
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    /// notary-signer leaf + intermediate.
    pub signer_cert: PathBuf,
    pub signer_key: PathBuf,
    /// A client certificate from an unrelated CA.
    pub untrusted_client_cert: PathBuf,
    pub untrusted_client_key: PathBuf,
    pub untrusted_root_ca: PathBuf,
    /// A client certificate from the intermediate whose validity ended in the past.
    pub expired_client_cert: PathBuf,
    pub expired_client_key: PathBuf,
    /// A client certificate issued by another intermediate under the same root.
    pub other_intermediate_client_cert: PathBuf,
    pub other_intermediate_client_key: PathBuf,
}

impl DevPki {
    /// The file names [`generate`] uses, under `dir`.
    pub fn at(dir: &Path) -> Self {
        let p = |name: &str| dir.join(name);
        DevPki {
            dir: dir.to_path_buf(),
            root_ca: p("root-ca.crt"),
            intermediate_ca: p("intermediate-ca.crt"),
            ca_bundle: p("ca-bundle.crt"),
            server_cert: p("notary-server.crt"),
            server_key: p("notary-server.key"),
            signer_cert: p("notary-signer.crt"),
            signer_key: p("notary-signer.key"),
            untrusted_client_cert: p("untrusted-client.crt"),
            untrusted_client_key: p("untrusted-client.key"),
            untrusted_root_ca: p("untrusted-root-ca.crt"),
            expired_client_cert: p("expired-client.crt"),
            expired_client_key: p("expired-client.key"),
            other_intermediate_client_cert: p("other-intermediate-client.crt"),
            other_intermediate_client_key: p("other-intermediate-client.key"),
        }
    }
}

struct Leaf<'a> {
    name: &'a str,
    sans: &'a [&'a str],
    server_auth: bool,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

fn dn(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Notary development PKI");
    dn.push(DnType::CommonName, cn);
    dn
}

fn ca_params(
    cn: &str,
    now: OffsetDateTime,
    path_len: Option<u8>,
) -> anyhow::Result<CertificateParams> {
    let mut p = CertificateParams::new(Vec::<String>::new())?;
    p.distinguished_name = dn(cn);
    p.is_ca = IsCa::Ca(match path_len {
        Some(n) => BasicConstraints::Constrained(n),
        None => BasicConstraints::Unconstrained,
    });
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.not_before = now - Duration::hours(1);
    p.not_after = now + Duration::days(3650);
    Ok(p)
}

fn leaf_params(leaf: &Leaf<'_>) -> anyhow::Result<CertificateParams> {
    let mut p = CertificateParams::new(Vec::<String>::new())?;
    p.distinguished_name = dn(leaf.name);
    for san in leaf.sans {
        let san = match san.parse::<std::net::IpAddr>() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName((*san).try_into()?),
        };
        p.subject_alt_names.push(san);
    }
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    if leaf.server_auth {
        p.extended_key_usages
            .push(ExtendedKeyUsagePurpose::ServerAuth);
    }
    p.not_before = leaf.not_before;
    p.not_after = leaf.not_after;
    Ok(p)
}

fn write(path: &Path, contents: &str) -> anyhow::Result<()> {
    fs::write(path, contents).with_context(|| format!("writing {}", path.display()))
}

fn write_key(path: &Path, contents: &str) -> anyhow::Result<()> {
    write(path, contents)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))
            .with_context(|| format!("setting permissions of {}", path.display()))?;
    }
    Ok(())
}

/// Generates a fresh development PKI into `dir` (created if missing), overwriting any
/// files of the same names.
pub fn generate(dir: &Path) -> anyhow::Result<DevPki> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let now = OffsetDateTime::now_utc();
    let p = |name: &str| dir.join(name);

    let root_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let root = CertifiedIssuer::self_signed(ca_params("Notary Dev Root CA", now, None)?, root_key)?;
    // An intermediate CA (path length 0) under the root, with a fresh key.
    let intermediate = |common_name: &str| -> anyhow::Result<_> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        Ok(CertifiedIssuer::signed_by(
            ca_params(common_name, now, Some(0))?,
            key,
            &root,
        )?)
    };
    let inter = intermediate("Notary Dev Intermediate CA")?;
    let other = intermediate("Notary Dev Other Intermediate CA")?;
    let untrusted_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let untrusted =
        CertifiedIssuer::self_signed(ca_params("Untrusted Root CA", now, None)?, untrusted_key)?;

    write(&p("root-ca.crt"), &root.pem())?;
    write(&p("intermediate-ca.crt"), &inter.pem())?;
    write(
        &p("ca-bundle.crt"),
        &format!("{}{}", root.pem(), inter.pem()),
    )?;
    write(&p("untrusted-root-ca.crt"), &untrusted.pem())?;

    let valid_from = now - Duration::hours(1);
    let valid_to = now + Duration::days(825);
    let leaves: [(Leaf<'_>, &CertifiedIssuer<'_, KeyPair>); 5] = [
        (
            Leaf {
                name: "notary-server",
                sans: &["notary-server", "localhost", "127.0.0.1", "::1"],
                server_auth: true,
                not_before: valid_from,
                not_after: valid_to,
            },
            &inter,
        ),
        (
            Leaf {
                name: "notary-signer",
                sans: &["notary-signer", "localhost", "127.0.0.1", "::1"],
                server_auth: true,
                not_before: valid_from,
                not_after: valid_to,
            },
            &inter,
        ),
        (
            Leaf {
                name: "expired-client",
                sans: &["localhost"],
                server_auth: false,
                not_before: now - Duration::days(30),
                not_after: now - Duration::days(1),
            },
            &inter,
        ),
        (
            Leaf {
                name: "other-intermediate-client",
                sans: &["localhost"],
                server_auth: false,
                not_before: valid_from,
                not_after: valid_to,
            },
            &other,
        ),
        (
            Leaf {
                name: "untrusted-client",
                sans: &["localhost"],
                server_auth: false,
                not_before: valid_from,
                not_after: valid_to,
            },
            &untrusted,
        ),
    ];
    for (leaf, issuer) in &leaves {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let cert = leaf_params(leaf)?.signed_by(&key, issuer)?;
        // The chain up to (not including) the root: leaf, then the issuing intermediate
        // unless the issuer is itself a root.
        let chain = if std::ptr::eq(*issuer, &untrusted) {
            cert.pem()
        } else {
            format!("{}{}", cert.pem(), issuer.pem())
        };
        write(&p(&format!("{}.crt", leaf.name)), &chain)?;
        write_key(&p(&format!("{}.key", leaf.name)), &key.serialize_pem())?;
    }

    Ok(DevPki::at(dir))
}

//! `gen-certs [DIR]`: writes the development PKI into DIR (default: `./certs/generated`).

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("certs/generated"));
    let pki = notary_devcerts::generate(&dir)?;
    println!("development PKI written to {}", pki.dir.display());
    println!("  trust anchor for clients: {}", pki.root_ca.display());
    println!(
        "  notary-server: {} {}",
        pki.server_cert.display(),
        pki.server_key.display()
    );
    println!(
        "  notary-signer: {} {}",
        pki.signer_cert.display(),
        pki.signer_key.display()
    );
    Ok(())
}

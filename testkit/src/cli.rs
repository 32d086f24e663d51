//! The real `notary` CLI (Debian package `notary`), non-interactive.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use base64::Engine as _;

/// The notary CLI against `url` (trusting `ca`) with `trust_dir` as trust dir and `$HOME`,
/// passphrases from the environment, and `stdin` (if any) typed in. Returns (success,
/// stdout + stderr).
pub fn notary_cli(
    url: &str,
    ca: &Path,
    trust_dir: &Path,
    args: &[&str],
    stdin: Option<&str>,
) -> (bool, String) {
    run(command(url, ca, trust_dir, args), stdin)
}

/// As [`notary_cli`], logging in through `NOTARY_AUTH` as `user` with the password
/// `<user>-secret` (none: anonymous).
pub fn notary_cli_auth(
    url: &str,
    ca: &Path,
    trust_dir: &Path,
    user: Option<&str>,
    args: &[&str],
) -> (bool, String) {
    let mut cmd = command(url, ca, trust_dir, args);
    if let Some(u) = user {
        let creds = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{u}-secret"));
        cmd.env("NOTARY_AUTH", creds);
    }
    run(cmd, None)
}

fn command(url: &str, ca: &Path, trust_dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("notary");
    cmd.arg("-s")
        .arg(url)
        .arg("--tlscacert")
        .arg(ca)
        .arg("-d")
        .arg(trust_dir)
        .args(args)
        .env("NOTARY_ROOT_PASSPHRASE", "root-pass-1234")
        .env("NOTARY_TARGETS_PASSPHRASE", "targets-pass-1234")
        .env("NOTARY_SNAPSHOT_PASSPHRASE", "snapshot-pass-1234")
        .env("NOTARY_DELEGATION_PASSPHRASE", "delegation-pass-1234")
        .env("HOME", trust_dir)
        .env_remove("NOTARY_AUTH");
    cmd
}

fn run(mut cmd: Command, stdin: Option<&str>) -> (bool, String) {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .expect("spawn notary CLI (Debian package notary)");
    if let Some(mut sin) = child.stdin.take() {
        if let Some(s) = stdin {
            let _ = sin.write_all(s.as_bytes());
        }
    }
    combined(child.wait_with_output().expect("notary CLI"))
}

/// Runs `cmd` to its end (stdin empty unless set): (success, stdout + stderr).
pub fn run_command(cmd: &mut Command) -> (bool, String) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("run {:?}: {e}", cmd.get_program()));
    combined(out)
}

fn combined(out: Output) -> (bool, String) {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

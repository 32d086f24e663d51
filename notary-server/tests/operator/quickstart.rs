//! `scripts/quickstart` as a user runs it: it builds, starts notary-signer and notary-server,
//! prints how to use the notary CLI; that works; Ctrl-C (SIGINT) stops both processes.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use notary_testkit::{free_port, notary_cli};

/// Children of `pid` by scanning /proc (pid, command name).
fn children(pid: u32) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        let Some(child) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid …"; comm may contain spaces, so split after the last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = stat[open + 1..close].to_string();
        let ppid = stat[close + 1..]
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u32>().ok());
        if ppid == Some(pid) {
            out.push((child, comm));
        }
    }
    out
}

/// Alive = exists and is not a zombie.
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status();
}

/// Kills the script and the servers it started on every exit path.
struct Guard {
    script: Child,
    servers: Vec<u32>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        for pid in &self.servers {
            if alive(*pid) {
                signal(*pid, "KILL");
            }
        }
        let _ = self.script.kill();
        let _ = self.script.wait();
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

#[test]
fn quickstart_serves_the_cli_and_stops_on_sigint() {
    let state = tempfile::tempdir().expect("tempdir");
    let (server_port, signer_port) = (free_port(), free_port());
    let mut script = Command::new("bash")
        .arg(repo_root().join("scripts/quickstart"))
        .env("QUICKSTART_DIR", state.path())
        .env("QUICKSTART_SERVER_PORT", server_port.to_string())
        .env("QUICKSTART_SIGNER_PORT", signer_port.to_string())
        .env("QUICKSTART_PROFILE", "dev")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start scripts/quickstart");
    let stdout = script.stdout.take().expect("stdout");
    let stderr = script.stderr.take().expect("stderr");
    let script_pid = script.id();
    let mut guard = Guard {
        script,
        servers: Vec::new(),
    };
    let (tx, rx) = mpsc::channel::<String>();
    let tx2 = tx.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let err_log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let err_log2 = err_log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(mut l) = err_log2.lock() {
                l.push_str(&line);
                l.push('\n');
            }
        }
        drop(tx2);
    });

    // A build may run first (other code changed): allow it time.
    let url = format!("https://localhost:{server_port}");
    let deadline = Instant::now() + Duration::from_secs(900);
    let mut seen = String::new();
    let mut notary_line = None;
    while notary_line.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                if line.trim_start().starts_with(&format!("notary -s {url}")) {
                    notary_line = Some(line.clone());
                }
                seen.push_str(&line);
                seen.push('\n');
            }
            Err(_) => panic!(
                "no notary line from quickstart; stdout:\n{seen}\nstderr:\n{}",
                err_log.lock().map(|l| l.clone()).unwrap_or_default()
            ),
        }
    }
    let line = notary_line.unwrap_or_default();
    let ca = state.path().join("certs/root-ca.crt");
    assert!(
        line.contains(&format!("--tlscacert {}", ca.display())),
        "{line}"
    );
    guard.servers = children(script_pid)
        .into_iter()
        .filter(|(_, comm)| comm.starts_with("notary-"))
        .map(|(pid, _)| pid)
        .collect();
    assert_eq!(
        guard.servers.len(),
        2,
        "expected notary-server and notary-signer under the script: {:?}",
        children(script_pid)
    );

    let trust = state.path().join("trust");
    std::fs::create_dir_all(&trust).unwrap();
    let gun = "example.com/hello";
    let (ok, out) = notary_cli(&url, &ca, &trust, &["init", gun, "-p"], None);
    assert!(ok, "init: {out}");
    let (ok, out) = notary_cli(&url, &ca, &trust, &["list", gun], None);
    assert!(ok, "list: {out}");

    signal(script_pid, "INT");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(Some(status)) = guard.script.try_wait() {
            eprintln!("quickstart exited with {status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "quickstart still running 20 s after SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while guard.servers.iter().any(|p| alive(*p)) {
        assert!(
            Instant::now() < deadline,
            "server processes survived SIGINT: {:?}",
            guard.servers
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = rx.try_iter().collect::<Vec<_>>().join("\n");
    seen.push_str(&out);
    assert!(
        seen.contains("stopped notary-server and notary-signer"),
        "{seen}"
    );
}

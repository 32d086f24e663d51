//! Load generator for any Notary signer (ours or Go's) over mTLS: signatures per second for
//! ecdsa and ed25519 keys with 1 and N concurrent clients (one connection each), latency
//! percentiles, and the signer's resident memory when its PID is given.
//!
//! ```text
//! cargo run --release -p notary-signer --bin signer-bench -- \
//!     --addr 127.0.0.1:7899 --ca root-ca.crt --cert notary-server.crt --key notary-server.key \
//!     [--domain localhost] [--seconds 10] [--clients 1,16] [--pid <signer pid>]
//! ```

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use notary_proto::pb;
use notary_proto::pb::key_management_client::KeyManagementClient;
use notary_proto::pb::signer_client::SignerClient;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

#[derive(Debug, Parser)]
#[command(name = "signer-bench")]
struct Args {
    /// Signer address host:port.
    #[arg(long)]
    addr: String,
    /// CA certificate that issued the signer's certificate.
    #[arg(long)]
    ca: PathBuf,
    /// Client certificate chain (PEM).
    #[arg(long)]
    cert: PathBuf,
    /// Client key (PEM).
    #[arg(long)]
    key: PathBuf,
    /// TLS server name to verify.
    #[arg(long, default_value = "localhost")]
    domain: String,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrency levels (clients, each with its own connection).
    #[arg(long, value_delimiter = ',', default_value = "1,16")]
    clients: Vec<usize>,
    /// Key algorithms to measure.
    #[arg(long, value_delimiter = ',', default_value = "ecdsa,ed25519")]
    algorithms: Vec<String>,
    /// PID of the signer process, to report its resident memory.
    #[arg(long)]
    pid: Option<u32>,
    /// Bytes signed per request (a typical timestamp.json `signed` part is ~300 bytes).
    #[arg(long, default_value_t = 320)]
    payload: usize,
}

async fn connect(args: &Args) -> anyhow::Result<Channel> {
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(std::fs::read(&args.ca)?))
        .identity(Identity::from_pem(
            std::fs::read(&args.cert)?,
            std::fs::read(&args.key)?,
        ))
        .domain_name(args.domain.clone());
    Ok(Endpoint::from_shared(format!("https://{}", args.addr))?
        .tls_config(tls)?
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await?)
}

/// VmRSS, VmHWM and RssAnon (heap and stacks, without mapped binaries and libraries) of a
/// process, in KiB.
fn memory_kib(pid: u32) -> Option<(u64, u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    Some((field("VmRSS:")?, field("VmHWM:")?, field("RssAnon:")?))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let payload = vec![b'x'; args.payload];
    let mut km = KeyManagementClient::new(connect(&args).await?);
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos();
    println!(
        "signer {} | payload {} B | {} s per run",
        args.addr, args.payload, args.seconds
    );
    if let Some((rss, _, anon)) = args.pid.and_then(memory_kib) {
        println!(
            "signer before: RSS {:.1} MiB (anon {:.1})",
            rss as f64 / 1024.0,
            anon as f64 / 1024.0
        );
    }
    for alg in &args.algorithms {
        let key = km
            .create_key(pb::CreateKeyRequest {
                algorithm: alg.clone(),
                gun: format!("bench/{nonce}"),
                role: format!("bench-{alg}"),
            })
            .await?
            .into_inner();
        let key_id = key
            .key_info
            .and_then(|k| k.key_id)
            .map(|k| k.id)
            .ok_or_else(|| anyhow::anyhow!("CreateKey without keyInfo"))?;
        for &n in &args.clients {
            let mut channels = Vec::with_capacity(n);
            for _ in 0..n {
                channels.push(connect(&args).await?);
            }
            let deadline = Instant::now() + Duration::from_secs(args.seconds);
            let mut tasks = Vec::with_capacity(n);
            for channel in channels {
                let mut client = SignerClient::new(channel);
                let key_id = key_id.clone();
                let payload = payload.clone();
                tasks.push(tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    let mut errors = 0u64;
                    while Instant::now() < deadline {
                        let start = Instant::now();
                        let res = client
                            .sign(pb::SignatureRequest {
                                key_id: Some(pb::KeyId { id: key_id.clone() }),
                                content: payload.clone(),
                            })
                            .await;
                        match res {
                            Ok(_) => latencies.push(start.elapsed()),
                            Err(_) => errors += 1,
                        }
                    }
                    (latencies, errors)
                }));
            }
            let started = Instant::now();
            let mut all = Vec::new();
            let mut errors = 0;
            for t in tasks {
                let (l, e) = t.await?;
                all.extend(l);
                errors += e;
            }
            let elapsed = started.elapsed().as_secs_f64();
            all.sort();
            let mem = args
                .pid
                .and_then(memory_kib)
                .map(|(rss, hwm, anon)| {
                    format!(
                        " | RSS {:.1} MiB (peak {:.1}, anon {:.1})",
                        rss as f64 / 1024.0,
                        hwm as f64 / 1024.0,
                        anon as f64 / 1024.0
                    )
                })
                .unwrap_or_default();
            println!(
                "{alg:>8} clients {n:>3}: {:>9.0} sig/s | p50 {:>7.2} ms | p99 {:>7.2} ms | errors {errors}{mem}",
                all.len() as f64 / elapsed,
                percentile(&all, 0.50).as_secs_f64() * 1e3,
                percentile(&all, 0.99).as_secs_f64() * 1e3,
            );
        }
    }
    Ok(())
}

//! `notary-server -config FILE [-logf json|text]`, or
//! `notary-server admin -config FILE <command>` (operator commands, see [`admin`]).

mod admin;
mod listen_fd;

use std::net::TcpListener;
use std::path::PathBuf;

use actix_web::web;
use clap::Parser;
use notary_server::{config, Config};

/// Notary v1 TUF metadata server.
#[derive(Parser, Debug)]
#[command(name = "notary-server", version)]
struct Args {
    /// Path to the server configuration file (Go server-config.json format).
    #[arg(long = "config")]
    config: PathBuf,
    /// Log format: json (default) or text (logfmt is accepted as text).
    #[arg(long = "logf", default_value = "json")]
    logf: String,
    /// Accepted for compatibility with the Go server; no effect.
    #[arg(long = "debug", default_value_t = false)]
    debug: bool,
}

/// Go's flag package accepts `-config`; clap wants `--config`. Rewrite single-dash long flags.
fn go_style_args() -> Vec<String> {
    std::env::args()
        .enumerate()
        .map(|(i, a)| {
            let long = ["-config", "-logf", "-debug", "-version"];
            if i > 0
                && long
                    .iter()
                    .any(|f| a == *f || a.starts_with(&format!("{f}=")))
            {
                format!("-{a}")
            } else {
                a
            }
        })
        .collect()
}

fn init_logging(level: &str, format: &str) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("NOTARY_SERVER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        "text" | "logfmt" => builder.init(),
        "json" => builder.json().init(),
        other => anyhow::bail!("-logf must be json or text, got {other:?}"),
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("admin") {
        return admin::main(go_style_args().into_iter().skip(1));
    }
    let inherited = listen_fd::inherited_listener()?;
    let args = Args::parse_from(go_style_args());
    let _ = args.debug;
    let cfg = Config::load(&args.config)?;
    init_logging(config::tracing_level(&cfg.log_level)?, &args.logf)?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    actix_web::rt::System::new().block_on(run(cfg, inherited))
}

async fn run(cfg: Config, inherited: Option<TcpListener>) -> anyhow::Result<()> {
    let storage = cfg.storage.clone();
    let state = {
        let cfg = cfg.clone();
        tokio::task::spawn_blocking(move || notary_server::state_from_config(&cfg)).await??
    };
    tracing::info!(addr = %cfg.http_addr, storage = ?storage_kind(&storage), "notary-server starting");
    let listener = match inherited {
        Some(l) => l,
        None => TcpListener::bind(cfg.http_addr)?,
    };
    let server = notary_server::server(&cfg, web::Data::new(state), listener)?;
    let handle = server.handle();
    actix_web::rt::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        handle.stop(true).await;
    });
    server.await?;
    Ok(())
}

fn storage_kind(s: &config::StorageConfig) -> &'static str {
    match s {
        config::StorageConfig::Sqlite(_) => "sqlite3",
        config::StorageConfig::Postgres(_) => "postgres",
        config::StorageConfig::Mysql(_) => "mysql",
        config::StorageConfig::Memory => "memory",
    }
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

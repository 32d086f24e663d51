//! `notary-signer -config FILE [-logf json|text]`: the Notary signer daemon.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use notary_signer::config::Settings;
use notary_signer::server;

mod listen_fd;

/// Command line; Go-style single-dash long flags (`-config`) are accepted too.
#[derive(Debug, Parser)]
#[command(name = "notary-signer", disable_version_flag = true)]
struct Args {
    /// Path to the JSON configuration file (Go signer-config.json format).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Log format: json (default, like Go) or text.
    #[arg(long, default_value = "json", value_parser = ["json", "text", "logfmt"])]
    logf: String,
    /// Accepted for compatibility; has no effect.
    #[arg(long)]
    debug: bool,
    /// Apply the database migrations and exit.
    #[arg(long)]
    bootstrap: bool,
    /// Print the version and exit.
    #[arg(long)]
    version: bool,
}

/// Rewrites Go flags (`-config x`, `-config=x`) to clap's `--config` form.
fn go_style_args() -> Vec<String> {
    const LONG: [&str; 5] = ["config", "logf", "debug", "bootstrap", "version"];
    std::env::args()
        .map(|a| {
            let name = a.strip_prefix('-').filter(|r| !r.starts_with('-'));
            match name {
                Some(rest) if LONG.contains(&rest.split('=').next().unwrap_or_default()) => {
                    format!("-{a}")
                }
                _ => a,
            }
        })
        .collect()
}

fn init_logging(level: tracing::Level, format: &str) {
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr);
    if format == "text" {
        builder.init();
    } else {
        builder.json().init();
    }
}

fn main() -> ExitCode {
    let inherited = match listen_fd::inherited_listener() {
        Ok(l) => l,
        Err(e) => {
            eprintln!("notary-signer: LISTEN_FDS: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Database calls run on the blocking pool; in steady state that is one liveness UPDATE per
    // key per second, so a handful of threads is plenty (tokio's default allows 512, each with
    // its own stack and malloc arena once used).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(notary_signer::storage::MAX_CONNECTIONS as usize)
        .build();
    match runtime {
        Ok(rt) => rt.block_on(start(inherited)),
        Err(e) => {
            eprintln!("notary-signer: cannot start the runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn start(inherited: Option<std::net::TcpListener>) -> ExitCode {
    let args = Args::parse_from(go_style_args());
    if args.version {
        println!("notary-signer Version: {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let Some(config) = args.config else {
        eprintln!("could not read config at :  (use -config FILE)");
        return ExitCode::FAILURE;
    };
    let settings = match Settings::load(&config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("notary-signer: {e}");
            return ExitCode::FAILURE;
        }
    };
    init_logging(settings.log_level, &args.logf);
    if args.debug {
        tracing::warn!("-debug is accepted for compatibility and has no effect");
    }
    if let Err(e) = run(settings, args.bootstrap, inherited).await {
        tracing::error!("{e:#}");
        eprintln!("notary-signer: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

async fn run(
    settings: Settings,
    bootstrap: bool,
    inherited: Option<std::net::TcpListener>,
) -> anyhow::Result<()> {
    if bootstrap {
        server::open_store(&settings).await?;
        println!("notary-signer: database ready");
        return Ok(());
    }
    let listener = match inherited {
        Some(l) => {
            l.set_nonblocking(true)?;
            tokio::net::TcpListener::from_std(l)?
        }
        None => server::bind(&settings.grpc_addr)
            .await
            .map_err(|e| anyhow::anyhow!("failed to listen on {}: {e}", settings.grpc_addr))?,
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let serve = server::serve(settings, listener, async {
        let _ = stop_rx.await;
    });
    tokio::pin!(serve);
    tokio::select! {
        result = &mut serve => result,
        _ = termination() => {
            tracing::info!("shutting down");
            let _ = stop_tx.send(());
            // Give in-flight RPCs a moment; never hang on clients that keep connections open.
            tokio::time::timeout(SHUTDOWN_GRACE, serve).await.unwrap_or(Ok(()))
        }
    }
}

/// How long in-flight RPCs may take after SIGTERM/SIGINT.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Completes on SIGINT or SIGTERM.
async fn termination() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term.recv() => {},
    }
}

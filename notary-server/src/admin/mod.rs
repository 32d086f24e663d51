//! `notary-server admin -config FILE <command>`: operator commands that work on the server's
//! database and signer directly (the server may be running; nothing needs a restart).
//!
//! * `list-guns` — every GUN with the versions its current chain serves.
//! * `show <gun>` — roles, versions, expiries, key IDs, and which server keys the signer holds.
//! * `reset-gun <gun> [--yes]` — delete the GUN's metadata and server keys (recovery runbook).
//! * `retention --keep N [--yes]` — remove old versions nobody needs.
//!
//! Destructive commands are dry runs unless `--yes` is given.

mod chain;
mod reset;
mod retention;
mod show;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use notary_server::config::TrustServiceConfig;
use notary_server::metrics::Metrics;
use notary_server::Config;

/// Operator commands on the server's database and signer.
#[derive(Parser, Debug)]
#[command(name = "notary-server admin", bin_name = "notary-server admin")]
struct AdminArgs {
    /// Path to the server configuration file (the one notary-server runs with).
    #[arg(long = "config")]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Every GUN with the versions of its current chain.
    ListGuns,
    /// Roles, versions, expiries and key IDs of a GUN, and which keys the signer holds.
    Show { gun: String },
    /// Delete a GUN's metadata (recording a changefeed deletion) and its server-held keys.
    ResetGun {
        gun: String,
        /// Do it (without: only print what would be done).
        #[arg(long)]
        yes: bool,
    },
    /// Remove old metadata versions that neither the current chain nor the root history needs.
    Retention {
        /// Older versions to keep per role besides the current chain (roots are always kept).
        #[arg(long)]
        keep: usize,
        /// Do it (without: only report what would be removed).
        #[arg(long)]
        yes: bool,
    },
}

/// Runs the admin CLI; `args` starts with `admin`.
pub fn main(args: impl IntoIterator<Item = String>) -> anyhow::Result<()> {
    let args = AdminArgs::parse_from(args);
    let cfg = Config::load(&args.config)?;
    let filter = tracing_subscriber::EnvFilter::try_from_env("NOTARY_SERVER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let out = rt.block_on(run(cfg, args.command))?;
    print!("{out}");
    Ok(())
}

async fn run(cfg: Config, command: Command) -> anyhow::Result<String> {
    if matches!(cfg.storage, notary_server::config::StorageConfig::Memory) {
        anyhow::bail!(
            "storage backend `memory` lives inside the server process; admin needs a database"
        );
    }
    // With `trust_service.type: local` the keys live in the server process's memory: this
    // process cannot see or delete them.
    let note = match cfg.trust_service {
        TrustServiceConfig::Local
            if matches!(command, Command::Show { .. } | Command::ResetGun { .. }) =>
        {
            "note: trust_service is local: the server's keys live in the server process, so key \
             status below is not meaningful and keys are not deleted\n"
        }
        _ => "",
    };
    let (store, signer) = tokio::task::spawn_blocking(move || {
        notary_server::app::open_backends(&cfg, &Metrics::default())
    })
    .await??;
    let signer = signer.as_ref();
    let out = match command {
        Command::ListGuns => show::list_guns(&store).await,
        Command::Show { gun } => show::show(&store, signer, &gun).await,
        Command::ResetGun { gun, yes } => reset::reset_gun(&store, signer, &gun, yes).await,
        Command::Retention { keep, yes } => retention::retention(&store, keep, yes).await,
    }?;
    Ok(format!("{note}{out}"))
}

//! The one background runtime that drives every PostgreSQL/MySQL socket of the process.

use std::future::Future;
use std::sync::{Mutex, OnceLock, PoisonError};

use diesel::ConnectionError;
use diesel_async::async_connection_wrapper::BlockOn;
use tokio::runtime::{Builder, Handle, Runtime};

/// How `AsyncConnectionWrapper` waits for a query: the future is polled on the calling thread
/// (parked between wake-ups) inside the context of the shared `db-io` runtime, whose worker
/// drives the sockets and timers. Unlike `Handle::block_on`, this may be called from a thread
/// that is itself inside another runtime (a blocking call there is the caller's choice, as it
/// is with any synchronous diesel connection).
#[derive(Debug, Clone)]
pub struct DbRuntime(Handle);

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// The shared runtime, started by the first caller. Starting fails only when the OS refuses a
/// thread; that failure is not kept, so a later connection attempt tries again.
fn shared() -> std::io::Result<&'static Runtime> {
    static STARTING: Mutex<()> = Mutex::new(());
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let _starting = STARTING.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("db-io")
        .enable_all()
        .build()?;
    Ok(RUNTIME.get_or_init(|| rt))
}

impl DbRuntime {
    /// A handle to the shared runtime (started on first use). Fails, as a connection error,
    /// when the runtime's thread cannot be started.
    pub fn get() -> Result<Self, ConnectionError> {
        let rt = shared().map_err(|e| {
            ConnectionError::BadConnection(format!("cannot start the database I/O thread: {e}"))
        })?;
        Ok(Self(rt.handle().clone()))
    }

    /// Runs `f` to completion on the calling thread, inside the shared runtime's context.
    ///
    /// `unconstrained`: tokio's cooperative budget belongs to the task of the calling thread,
    /// when it is inside one (a `#[tokio::test]` body, say). A database call there must not
    /// spend that budget: once spent, tokio resources answer `Pending` until the task yields to
    /// its scheduler, which a blocking call never does (seen: the fifth connection hung).
    pub fn run<F: Future>(&self, f: F) -> F::Output {
        let _context = self.0.enter();
        futures::executor::block_on(tokio::task::unconstrained(f))
    }
}

impl BlockOn for DbRuntime {
    fn block_on<F>(&self, f: F) -> F::Output
    where
        F: Future,
    {
        self.run(f)
    }

    // diesel-async calls this (infallible) when a connection is wrapped, and every connection is
    // wrapped only after `connect_postgres`/`connect_mysql` opened it through `DbRuntime::get()`,
    // so the runtime is running by then.
    #[expect(
        clippy::expect_used,
        reason = "connections are wrapped only after DbRuntime::get() started the runtime"
    )]
    fn get_runtime() -> Self {
        let rt = RUNTIME
            .get()
            .expect("the db-io runtime starts before any connection is wrapped");
        Self(rt.handle().clone())
    }
}

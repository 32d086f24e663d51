//! The one background runtime that drives every PostgreSQL/MySQL socket of the process.

use std::future::Future;
use std::sync::OnceLock;

use diesel_async::async_connection_wrapper::BlockOn;
use tokio::runtime::{Builder, Handle, Runtime};

/// How `AsyncConnectionWrapper` waits for a query: the future is polled on the calling thread
/// (parked between wake-ups) inside the context of the shared `db-io` runtime, whose worker
/// drives the sockets and timers. Unlike `Handle::block_on`, this may be called from a thread
/// that is itself inside another runtime (a blocking call there is the caller's choice, as it
/// is with any synchronous diesel connection).
#[derive(Debug, Clone)]
pub struct DbRuntime(Handle);

fn shared() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("db-io")
            .enable_all()
            .build()
            // Only fails when the OS refuses a thread; nothing can connect without it.
            .expect("cannot start the database I/O thread")
    })
}

impl DbRuntime {
    /// A handle to the shared runtime (started on first use).
    pub fn get() -> Self {
        Self(shared().handle().clone())
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

    fn get_runtime() -> Self {
        Self::get()
    }
}

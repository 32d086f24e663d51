//! Socket activation: a listening socket handed over by the parent process (systemd's
//! convention, `LISTEN_FDS=1` with the socket as fd 3), served instead of binding
//! `server.grpc_addr`. The tests use it to start signers without a port race.
//!
//! Only honoured when `LISTEN_FDS` is set; `LISTEN_PID` must be this process or absent (a parent
//! cannot know the child's PID before it starts). Both variables are removed from the
//! environment, so call this while the process has one thread.

/// The inherited listener, if one was handed over.
pub fn inherited_listener() -> std::io::Result<Option<std::net::TcpListener>> {
    listenfd::ListenFd::from_env().take_tcp_listener(0)
}

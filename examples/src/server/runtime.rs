//! Which tokio runtimes serve (`--runtime`, `--threads`): one multi-thread
//! runtime on one listener, or one current-thread runtime per thread, each
//! accepting on its own `SO_REUSEPORT` listener of the same address (the
//! kernel spreads the connections over them).
//!
//! Either way every accept loop serves clones of one router and draws on
//! one set of connection slots ([`Served`]): the in-flight pools, the
//! per-client shares, the create rates and `max_connections` are the
//! server's, not each runtime's. The store is opened once, on the main
//! thread's runtime, which also runs one of the accept loops; tasks the
//! store spawns there (a Redis connection's driver, the PostgreSQL purger)
//! serve every runtime.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::num::NonZeroUsize;

use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{oneshot, watch};

use super::{App, Served, accept_loop};

/// Which tokio runtimes serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Runtime {
    /// One multi-thread runtime with a worker per thread, on one listener.
    #[default]
    MultiThread,
    /// One current-thread runtime per thread (the main thread runs one),
    /// each on its own listener bound with SO_REUSEPORT to the same address.
    PerCore,
}

impl Runtime {
    /// Its command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Self::MultiThread => "multi-thread",
            Self::PerCore => "per-core",
        }
    }

    /// The builder of the main thread's runtime: multi-thread with
    /// `threads` workers, or current-thread (the other `threads - 1`
    /// runtimes are built by [`Listeners::serve`]).
    pub fn main_runtime(self, threads: NonZeroUsize) -> tokio::runtime::Builder {
        let mut builder = match self {
            Self::MultiThread => {
                let mut builder = tokio::runtime::Builder::new_multi_thread();
                builder.worker_threads(threads.get());
                builder
            }
            Self::PerCore => tokio::runtime::Builder::new_current_thread(),
        };
        builder.enable_all();
        builder
    }
}

/// The backlog of each per-core listener: what `TcpListener::bind` (and so
/// the multi-thread runtime's one listener) uses, so that the runtimes are
/// compared on the same queues.
const BACKLOG: u32 = 128;

/// A server's listening sockets, all on one address, every one listening
/// from [`bind`](Self::bind) on (the kernel queues connections on each until
/// its accept loop runs).
#[derive(Debug)]
pub struct Listeners {
    /// Served on the main thread's runtime.
    main: TcpListener,
    /// One per other runtime (per-core only).
    others: Vec<std::net::TcpListener>,
}

impl Listeners {
    /// Binds `addr` for `runtime`: one listener, or `threads` of them with
    /// `SO_REUSEPORT`. Port 0 is resolved once, so all get the same port.
    ///
    /// An address in use is an error even if its sockets have
    /// `SO_REUSEPORT` themselves (say, another per-core server of the same
    /// user): it is first bound by a plain socket, which the kernel refuses
    /// then, so two servers never silently share the connections of one
    /// address.
    pub async fn bind(
        runtime: Runtime,
        addr: SocketAddr,
        threads: NonZeroUsize,
    ) -> io::Result<Self> {
        match runtime {
            Runtime::MultiThread => Ok(Self {
                main: TcpListener::bind(addr).await?,
                others: Vec::new(),
            }),
            Runtime::PerCore => {
                let addr = free(addr)?;
                let main = reuseport_socket(addr)?.listen(BACKLOG)?;
                let others = (1..threads.get())
                    .map(|_| reuseport_socket(addr)?.listen(BACKLOG)?.into_std())
                    .collect::<io::Result<_>>()?;
                Ok(Self { main, others })
            }
        }
    }

    /// The address they listen on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.main.local_addr()
    }

    /// Serves `app` as [`serve`](super::serve) does, on every listener at
    /// once with one router and one set of connection slots: the first
    /// listener on the current runtime, each other on a current-thread
    /// runtime of its own thread. When `shutdown` completes, or any of
    /// those threads stops (an error, a panic), every loop stops accepting
    /// and drains its connections; returns once all threads have ended,
    /// with the first error.
    pub async fn serve(self, app: App, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        let served = Served::new(app);
        if self.others.is_empty() {
            return accept_loop(self.main, served, shutdown).await;
        }
        let (stop, mut stopped) = watch::channel(false);
        let mut cores = Vec::with_capacity(self.others.len());
        let mut result = Ok(());
        for (n, listener) in (1..).zip(self.others) {
            match Core::spawn(n, listener, served.clone(), stop.clone()) {
                Ok(core) => cores.push(core),
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        if result.is_ok() {
            let stop_all = stop.clone();
            result = accept_loop(self.main, served, async move {
                tokio::select! {
                    () = shutdown => {}
                    _ = stopped.wait_for(|stop| *stop) => {}
                }
                // Every loop stops accepting now, and drains while this one does.
                stop_all.send_replace(true);
            })
            .await;
        }
        // However the main loop ended, the others end too.
        stop.send_replace(true);
        for core in cores {
            let ended = core.finish().await;
            if result.is_ok() {
                result = ended;
            }
        }
        result
    }
}

/// One of the other runtimes: its thread, and word of its end.
struct Core {
    thread: std::thread::JoinHandle<io::Result<()>>,
    ended: oneshot::Receiver<()>,
}

/// Held by a core's thread: when the thread ends, for whatever reason, it
/// stops every loop and tells [`Core::finish`].
struct Ending {
    stop: watch::Sender<bool>,
    _ended: oneshot::Sender<()>,
}

impl Drop for Ending {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

impl Core {
    fn spawn(
        n: usize,
        listener: std::net::TcpListener,
        served: Served,
        stop: watch::Sender<bool>,
    ) -> io::Result<Self> {
        let (ended_tx, ended) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name(format!("oneshot-core-{n}"))
            .spawn(move || {
                let stopped = stop.subscribe();
                let _ending = Ending {
                    stop,
                    _ended: ended_tx,
                };
                run(listener, served, stopped)
            })?;
        Ok(Self { thread, ended })
    }

    /// Waits (without blocking the current runtime, which may run tasks
    /// the core's requests wait for) until the thread has ended.
    async fn finish(self) -> io::Result<()> {
        let _ = self.ended.await;
        self.thread
            .join()
            .map_err(|_| io::Error::other("a server thread panicked"))?
    }
}

/// A core thread's body: its runtime, serving `listener` until told to stop.
fn run(
    listener: std::net::TcpListener,
    served: Served,
    mut stopped: watch::Receiver<bool>,
) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::from_std(listener)?;
        accept_loop(listener, served, async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        })
        .await
    })
}

/// `addr`, with the port the kernel picks if it is 0, once a plain socket
/// (`SO_REUSEADDR` as `TcpListener::bind` sets, no `SO_REUSEPORT`) could
/// bind it: nobody listens there. The socket is closed again at once.
fn free(addr: SocketAddr) -> io::Result<SocketAddr> {
    let probe = new_socket(addr)?;
    probe.set_reuseaddr(true)?;
    probe.bind(addr)?;
    probe.local_addr()
}

fn reuseport_socket(addr: SocketAddr) -> io::Result<TcpSocket> {
    let socket = new_socket(addr)?;
    socket.set_reuseaddr(true)?;
    socket.set_reuseport(true)?;
    socket.bind(addr)?;
    Ok(socket)
}

fn new_socket(addr: SocketAddr) -> io::Result<TcpSocket> {
    match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4(),
        SocketAddr::V6(_) => TcpSocket::new_v6(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn per_core_listeners_share_one_port_and_refuse_a_used_one() {
        let two = NonZeroUsize::new(2).unwrap();
        let listeners = Listeners::bind(Runtime::PerCore, "127.0.0.1:0".parse().unwrap(), two)
            .await
            .unwrap();
        let addr = listeners.local_addr().unwrap();
        assert_ne!(addr.port(), 0);
        assert_eq!(listeners.others.len(), 1);
        assert_eq!(listeners.others[0].local_addr().unwrap(), addr);
        // Another per-core server (SO_REUSEPORT too) cannot join them...
        let again = Listeners::bind(Runtime::PerCore, addr, two).await;
        assert_eq!(
            again.unwrap_err().kind(),
            io::ErrorKind::AddrInUse,
            "a second per-core server on {addr}"
        );
        // ...nor can a plain one.
        let plain = Listeners::bind(Runtime::MultiThread, addr, two).await;
        assert_eq!(plain.unwrap_err().kind(), io::ErrorKind::AddrInUse);
    }

    #[test]
    fn runtime_names_are_the_flag_values() {
        use clap::ValueEnum;
        for runtime in Runtime::value_variants() {
            let value = runtime.to_possible_value().unwrap();
            assert_eq!(value.get_name(), runtime.name());
        }
    }
}

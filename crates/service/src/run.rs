//! Starting the hall service: the config (with `MOTCUA_ADMIN_TOKEN`), the database in
//! the data directory, the listener, and the HTTP server with its jobs, until told
//! to stop.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::net::TcpListener;

use crate::config::{Config, Role, Token};
use crate::hall::Hall;
pub use crate::http::tls::TlsFiles;
use motcua_store::SqliteStore;

/// The hall's config from `path` (the built-in sample hall without one), plus the
/// admin token in `MOTCUA_ADMIN_TOKEN` when it is set.
pub fn load_config(path: Option<&Path>) -> Result<Config> {
    let mut config = match path {
        Some(p) => Config::load(p)?,
        None => Config::sample(),
    };
    if let Ok(token) = std::env::var("MOTCUA_ADMIN_TOKEN")
        && !token.trim().is_empty()
    {
        if token.trim().len() < 16 {
            tracing::warn!("MOTCUA_ADMIN_TOKEN is short; use a long random token outside a demo");
        }
        config.tokens.push(Token {
            token: token.trim().to_owned(),
            role: Role::Admin,
            name: "MOTCUA_ADMIN_TOKEN".into(),
            counter: None,
            series: None,
            tickets_per_minute: 0,
        });
    }
    Ok(config)
}

/// `motcua serve`: runs the hall service until `stop` resolves; over HTTPS when
/// `tls` names a certificate and key.
pub fn serve(
    listen: &str,
    data: &Path,
    config: Option<&Path>,
    tls: Option<TlsFiles>,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let config = load_config(config)?;
    raise_open_file_limit();
    for problem in crate::report::problems(&config) {
        tracing::warn!("{problem}");
    }
    if config.tokens.is_empty() {
        tracing::warn!(
            "no tokens: nobody can take tickets or call; add [[tokens]] to the config or set MOTCUA_ADMIN_TOKEN"
        );
    }
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        // Polled once before the service says it listens, so that a stop asked for
        // from then on (systemd's SIGTERM) is heard, not the signal's default death.
        let mut stop = std::pin::pin!(stop);
        let stopped_already =
            std::future::poll_fn(|cx| std::task::Poll::Ready(stop.as_mut().poll(cx).is_ready()))
                .await;
        if stopped_already {
            return Ok(());
        }
        let service = start(listen, data, config, tls, false).await?;
        let watchdog = tokio::spawn(tell_systemd(service.hall.clone()));
        stop.await;
        watchdog.abort();
        motcua_hardware::systemd::notify("STOPPING=1");
        service.stop().await;
        Ok(())
    })
}

/// Every kiosk, counter and display holds a connection (a display's event stream
/// for hours): the usual soft limit of 1,024 open files is raised to the hard limit
/// the system allows, so a hall with many devices — or a burst of idle connections
/// before they time out — cannot run the service out of descriptors.
fn raise_open_file_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read or write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 || limit.rlim_cur >= limit.rlim_max
        {
            return;
        }
        let before = limit.rlim_cur;
        limit.rlim_cur = limit.rlim_max;
        if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 {
            tracing::debug!("open files: {before} → {}", limit.rlim_max);
        }
    }
}

/// Under systemd: "ready" once the hall answers from its database, then a watchdog
/// ping each half-timeout while it still does, so a wedged service is restarted.
async fn tell_systemd(hall: Arc<Hall>) {
    use motcua_hardware::systemd;
    let answers = || {
        let store = hall.store().clone();
        async move {
            let read = tokio::task::spawn_blocking(move || store.last_event_id());
            matches!(
                tokio::time::timeout(std::time::Duration::from_secs(10), read).await,
                Ok(Ok(Ok(_)))
            )
        }
    };
    while !answers().await {
        tracing::warn!("the hall's database does not answer yet");
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    systemd::notify("READY=1");
    let Some(every) = systemd::watchdog_interval() else {
        return;
    };
    loop {
        tokio::time::sleep(every).await;
        if answers().await {
            systemd::notify("WATCHDOG=1");
        } else {
            tracing::error!("the hall's database does not answer; the watchdog is not fed");
        }
    }
}

/// A hall service running on the runtime: its address, and how to stop it.
pub struct RunningService {
    pub addr: SocketAddr,
    pub hall: Arc<Hall>,
    stop: tokio::sync::oneshot::Sender<()>,
    done: tokio::task::JoinHandle<()>,
}

impl RunningService {
    /// Lets requests in flight finish, ends event streams and the jobs.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.done.await.ok();
    }
}

/// Opens the hall in `data` and serves it on `listen`. A demo takes a free port when
/// the one asked for is busy.
pub async fn start(
    listen: &str,
    data: &Path,
    config: Config,
    tls: Option<TlsFiles>,
    demo: bool,
) -> Result<RunningService> {
    if let Some(files) = &tls {
        // A wrong certificate or key is said now, before anything listens.
        files.load().await?;
    }
    let store = SqliteStore::open(data)?;
    tracing::info!("hall database: {}", store.path().display());
    let hall = Arc::new(Hall::open(Arc::new(config), Arc::new(store))?);
    let listener = bind(listen, demo).await?;
    let addr = listener.local_addr()?;
    // Tests and scripts read this line to find the port.
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("motcua: hall service listening on {scheme}://{addr}");
    let layout = &hall.config().layout;
    tracing::info!(
        "{}: {} services, {} counters",
        layout.hall.name,
        layout.services.len(),
        layout.counters.len()
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = hall.clone();
    let done = tokio::spawn(async move {
        let stop = async {
            let _ = stopped.await;
        };
        if let Err(e) = crate::http::serve(listener, serving, tls, stop).await {
            tracing::error!("the hall service failed: {e}");
        }
        tracing::info!("stopped");
    });
    Ok(RunningService {
        addr,
        hall,
        stop,
        done,
    })
}

async fn bind(listen: &str, demo: bool) -> Result<TcpListener> {
    let addr: SocketAddr = listen
        .parse()
        .with_context(|| format!("--listen {listen:?} is not an address like 127.0.0.1:8080"))?;
    match TcpListener::bind(addr).await {
        Ok(l) => Ok(l),
        // The demo should open wherever it can rather than fail on a busy port.
        Err(e) if demo && e.kind() == std::io::ErrorKind::AddrInUse => {
            tracing::warn!("{addr} is busy; the demo takes a free port instead");
            Ok(TcpListener::bind(SocketAddr::new(addr.ip(), 0)).await?)
        }
        Err(e) => Err(e).with_context(|| format!("cannot listen on {addr}")),
    }
}

/// `motcua backup`: a consistent copy of the hall's database, also while it serves.
pub fn backup(data: &Path, dest: &Path) -> Result<()> {
    let bytes = SqliteStore::backup(data, dest)?;
    println!(
        "backed up {} to {} ({} KB), checked",
        data.join("motcua.sqlite3").display(),
        dest.display(),
        bytes / 1024
    );
    Ok(())
}

/// `motcua restore`: a backup back in place, the service stopped.
pub fn restore(data: &Path, src: &Path) -> Result<()> {
    SqliteStore::restore(data, src)?;
    println!(
        "restored {} into {} (the database it replaced is kept beside it, \
         *.before-restore-*); start the service",
        src.display(),
        data.display()
    );
    Ok(())
}

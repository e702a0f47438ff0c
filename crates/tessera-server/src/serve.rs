//! Listening: bind, serve until SIGTERM or Ctrl-C, then finish the requests in flight.

use std::future::Future;
use std::net::SocketAddr;

use crate::app::{App, StartError};
use crate::config::Config;

/// Runs the server described by `config` until SIGTERM or Ctrl-C (graceful: requests in
/// flight are answered, then it returns).
pub async fn serve(config: Config) -> Result<(), StartError> {
    serve_until(config, shutdown_signal()).await
}

/// [`serve`], stopping when `shutdown` completes instead of on a signal.
pub async fn serve_until(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let app = App::start(&config).await?;
    let addr = config.listen_addr();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })?;
    let local = listener.local_addr().unwrap_or(addr);
    tracing::info!(
        address = %local,
        origin = %app.auth().origin(),
        base_path = app.auth().base_path(),
        compat = config.compat.as_str(),
        strategy = ?config.strategy,
        database = config.database.as_ref().map(|d| d.schema.as_str()),
        redis = config.redis.is_some(),
        "tessera serve: listening"
    );
    let router = app.router();
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|source| StartError::Bind { addr, source })?;
    tracing::info!("tessera serve: stopped");
    Ok(())
}

/// SIGTERM (what a container runtime sends) or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else {
            let _ = ctrl_c.await;
            return;
        };
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

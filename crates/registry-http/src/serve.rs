//! The server's connections: HTTP/1.1 over TCP, with the timeouts of
//! [`Timeouts`](crate::Timeouts). Poem's own server has none for a request's headers (a
//! connection that sends nothing stays open), so connections are served by hyper here,
//! with its header-read timer, and each request goes to the application as poem's server
//! would pass it.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use poem::http::StatusCode;
use poem::{Endpoint, EndpointExt, IntoResponse};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::{AppState, Timeouts};

type App = poem::endpoint::BoxEndpoint<'static, poem::Response>;

/// How long, once asked to stop, the server lets the requests under way finish.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves the application on `listener` until `shutdown` completes, then lets the
/// requests under way finish (at most [`SHUTDOWN_GRACE`]). The timeouts are the state's
/// configuration's (`Config::timeouts`).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let timeouts = state.config.timeouts;
    let local = listener.local_addr()?;
    let app: Arc<App> = Arc::new(crate::app(state).map_to_response().boxed());
    let (stop, stopped) = watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let (stream, remote) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: wait, then go on accepting.
                        tracing::warn!(error = ?e, "a connection could not be accepted");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let app = Arc::clone(&app);
                let stopped = stopped.clone();
                connections.spawn(connection(stream, local, remote, app, timeouts, stopped));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    let _ = stop.send(true);
    let finished = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(SHUTDOWN_GRACE, finished)
        .await
        .is_err()
    {
        connections.abort_all();
    }
    Ok(())
}

async fn connection(
    stream: tokio::net::TcpStream,
    local: SocketAddr,
    remote: SocketAddr,
    app: Arc<App>,
    timeouts: Timeouts,
    mut stopped: watch::Receiver<bool>,
) {
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let app = Arc::clone(&app);
        async move {
            let req = poem::Request::from((
                req,
                poem::web::LocalAddr(poem::Addr::SocketAddr(local)),
                poem::web::RemoteAddr(poem::Addr::SocketAddr(remote)),
                poem::http::uri::Scheme::HTTP,
            ));
            let api = req.uri().path().starts_with("/api/");
            let response = match tokio::time::timeout(timeouts.request, app.get_response(req)).await
            {
                Ok(response) => response,
                Err(_) => timed_out(api, timeouts.request),
            };
            Ok::<_, Infallible>(hyper::Response::from(response))
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.header_read)
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = ?e, remote = ?remote, "connection ended");
            }
            return;
        }
        _ = stopped.wait_for(|stop| *stop) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// The answer to a request that took longer than [`Timeouts::request`].
fn timed_out(api: bool, limit: std::time::Duration) -> poem::Response {
    tracing::warn!(
        seconds = limit.as_secs(),
        "a request ran out of time and was abandoned"
    );
    let message = format!("请求处理超时（上限 {} 秒），请稍后重试", limit.as_secs());
    if api {
        crate::errors::json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "request.timeout",
            &message,
            serde_json::json!([]),
        )
    } else {
        crate::errors::message_page(
            crate::errors::bare_layout(),
            StatusCode::SERVICE_UNAVAILABLE,
            "请求超时",
            &message,
            Some(("/", "返回首页")),
        )
    }
    .into_response()
}

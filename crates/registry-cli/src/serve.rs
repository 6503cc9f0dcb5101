//! `registry serve`: the web system, with its upkeep and, when a mail server is
//! configured, the delivery of reminders every few minutes.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::{DatabaseArg, FAILURE, USAGE, data_key, fail, runtime, upkeep};

/// The settings of `registry serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    database: DatabaseArg,
    #[command(flatten)]
    mail: crate::notify::MailArgs,
    /// The address to listen on.
    #[arg(
        long,
        value_name = "ADDR",
        env = "REGISTRY_BIND",
        hide_env_values = true,
        default_value = "127.0.0.1:8080"
    )]
    bind: String,
    /// A file holding the data key (64 hexadecimal characters) that protects ID numbers.
    /// Without it: REGISTRY_DATA_KEY; without that, for SQLite only, `registry.key` beside
    /// the database file (created on first use).
    #[arg(
        long,
        value_name = "FILE",
        env = "REGISTRY_DATA_KEY_FILE",
        hide_env_values = true
    )]
    data_key_file: Option<PathBuf>,
    /// Mark cookies Secure and send HSTS: set when the site is served over HTTPS.
    #[arg(long, env = "REGISTRY_SECURE_COOKIES", hide_env_values = true)]
    secure_cookies: bool,
    /// The address of a reverse proxy whose X-Forwarded-For names the client.
    #[arg(
        long,
        value_name = "IP",
        env = "REGISTRY_TRUSTED_PROXY",
        hide_env_values = true
    )]
    trusted_proxy: Option<std::net::IpAddr>,
    /// The site's public address (such as https://registry.example.cn), printed in the
    /// QR codes of certificates and cards. Without it, the address the request came to.
    #[arg(
        long,
        value_name = "URL",
        env = "REGISTRY_PUBLIC_URL",
        hide_env_values = true
    )]
    public_url: Option<String>,
    /// The most a request body may be, in bytes, except on the routes that take a file
    /// [default: 1048576, 1 MiB].
    #[arg(
        long,
        value_name = "BYTES",
        env = "REGISTRY_MAX_BODY",
        hide_env_values = true
    )]
    max_body: Option<u64>,
    /// The most a request to a route that takes a file (the import, the working-day
    /// calendar) may be, in bytes [default: 33554432, 32 MiB].
    #[arg(
        long,
        value_name = "BYTES",
        env = "REGISTRY_MAX_UPLOAD",
        hide_env_values = true
    )]
    max_upload: Option<u64>,
    /// Seconds a connection has to send a request's headers (a new connection, or a
    /// kept-alive one waiting for its next request) before it is closed [default: 10].
    #[arg(
        long,
        value_name = "SECONDS",
        env = "REGISTRY_HEADER_TIMEOUT",
        hide_env_values = true
    )]
    header_timeout: Option<u64>,
    /// Seconds a request may take from its headers to its answer, its body included,
    /// before it is answered 503 and abandoned [default: 300].
    #[arg(
        long,
        value_name = "SECONDS",
        env = "REGISTRY_REQUEST_TIMEOUT",
        hide_env_values = true
    )]
    request_timeout: Option<u64>,
    /// A login unused for this many minutes ends (the page warns 5 minutes before).
    /// Default 30.
    #[arg(long, value_name = "MINUTES", env = "REGISTRY_IDLE_MINUTES", value_parser = clap::value_parser!(u32).range(5..=480))]
    idle_minutes: Option<u32>,
    /// A login ends this many hours after it began, used or not. Default 12.
    #[arg(long, value_name = "HOURS", env = "REGISTRY_SESSION_HOURS", value_parser = clap::value_parser!(u32).range(1..=24))]
    session_hours: Option<u32>,
    /// Days an account password lasts before it must be changed; 0: for ever. Default 90.
    #[arg(long, value_name = "DAYS", env = "REGISTRY_PASSWORD_DAYS", value_parser = clap::value_parser!(u32).range(0..=3650))]
    password_days: Option<u32>,
    /// Load the demo register into an empty database before serving.
    #[arg(long)]
    demo: bool,
}

pub(crate) fn serve(args: &ServeArgs) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(registry_http::LOG_FILTER)),
        )
        .with_writer(std::io::stderr)
        // Colour only for a person at a terminal: a log file or journal gets no escapes.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let url = match args.database.url() {
        Ok(url) => url,
        Err(message) => return fail(message, USAGE),
    };
    let bind: std::net::SocketAddr = match args.bind.parse() {
        Ok(addr) => addr,
        Err(_) => {
            return fail(
                format!(
                    "--bind {}: not an address such as 127.0.0.1:8080",
                    args.bind
                ),
                USAGE,
            );
        }
    };
    let key = match data_key(args.data_key_file.as_deref(), &url) {
        Ok(key) => key,
        Err(message) => return fail(message, USAGE),
    };
    let (mailer, setup) = match (args.mail.mailer(), args.mail.setup()) {
        (Ok(mailer), Ok(setup)) => (mailer, setup),
        (Err(message), _) | (_, Err(message)) => return fail(message, USAGE),
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(message) => return fail(message, FAILURE),
    };
    let config = registry_http::Config {
        mail: registry_http::MailStatus {
            smtp: mailer.is_some(),
            association: setup.association.as_ref().map(|e| e.as_str().to_owned()),
            sms_logged: setup.sms,
        },
        secure_cookies: args.secure_cookies,
        trusted_proxy: args.trusted_proxy,
        public_url: args
            .public_url
            .as_deref()
            .map(|u| u.trim_end_matches('/').to_owned()),
        bodies: {
            let default = registry_http::BodyLimits::default();
            registry_http::BodyLimits {
                form_bytes: args.max_body.unwrap_or(default.form_bytes),
                upload_bytes: args.max_upload.unwrap_or(default.upload_bytes),
                credential_bytes: default.credential_bytes,
            }
        },
        timeouts: {
            let default = registry_http::Timeouts::default();
            let seconds = std::time::Duration::from_secs;
            registry_http::Timeouts {
                header_read: args.header_timeout.map_or(default.header_read, seconds),
                request: args.request_timeout.map_or(default.request, seconds),
            }
        },
        sessions: {
            let default = registry_core::access::SessionPolicy::default();
            registry_core::access::SessionPolicy {
                idle_minutes: args.idle_minutes.unwrap_or(default.idle_minutes),
                absolute_minutes: args
                    .session_hours
                    .map_or(default.absolute_minutes, |h| h * 60),
                ..default
            }
        },
        passwords: registry_core::access::PasswordPolicy {
            max_age_days: args
                .password_days
                .unwrap_or(registry_core::access::PasswordPolicy::default().max_age_days),
            ..registry_core::access::PasswordPolicy::default()
        },
        ..registry_http::Config::default()
    };
    runtime.block_on(async move {
        let store = match registry_store::Store::connect(&url, key).await {
            Ok(store) => store,
            Err(e) => return fail(e, FAILURE),
        };
        if let Err(e) = store.migrate().await {
            return fail(e, FAILURE);
        }
        let state = match registry_http::AppState::load(store, config, std::sync::Arc::new(registry_http::SystemClock)).await {
            Ok(state) => state,
            Err(message) => return fail(message, FAILURE),
        };
        if args.demo {
            match registry_http::demo::load(&state, state.today()).await {
                Ok(logins) => println!("{logins}"),
                Err(registry_http::demo::DemoError::NotEmpty) => {
                    println!("数据库中已有数据，未载入演示数据（演示账户见首次载入时的输出，或 docs/USER-GUIDE.md）。");
                }
                Err(e) => return fail(e, FAILURE),
            }
        }
        // 三员分立: say which administrators are missing and how to create them.
        match registry_http::vacant_duties(&state).await {
            Ok(vacant) => {
                for duty in vacant {
                    println!(
                        "尚无启用的{}：在服务器上运行 registry create-admin 用户名 --role {} 创建。",
                        duty.label(),
                        duty.code()
                    );
                }
            }
            Err(e) => return fail(e, FAILURE),
        }
        // Ctrl-C, or SIGTERM (systemd, a rolling restart): stop accepting, let the
        // requests under way finish (at most `SHUTDOWN_GRACE`), exit 0. The handler is in
        // place before anything else runs.
        #[cfg(unix)]
        let term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        upkeep::spawn(state.clone());
        // The reminders the sweep kept: sent every few minutes, each digest once however
        // many instances send (the outbox's leases).
        match &mailer {
            Some(mailer) => {
                let site = args
                    .public_url
                    .clone()
                    .unwrap_or_else(|| format!("http://{bind}"));
                upkeep::spawn_notify(state.clone(), mailer.clone(), crate::notify::delivery(&site));
            }
            None => println!(
                "未设置邮件服务器（--smtp / REGISTRY_SMTP_URL）：到期提醒只写入发件箱，不发送。"
            ),
        }
        println!("特种设备鉴定评审人员管理系统：http://{bind}/  （数据库 {url}，Ctrl-C 停止）");
        let listener = match tokio::net::TcpListener::bind(bind).await {
            Ok(listener) => listener,
            Err(e) => return fail(format!("无法在 {bind} 上提供服务：{e}"), FAILURE),
        };
        let shutdown = async move {
            #[cfg(unix)]
            match term {
                Some(mut term) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                }
                None => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
            #[cfg(not(unix))]
            {
                let _ = tokio::signal::ctrl_c().await;
            }
            tracing::info!("正在停止：不再接受新连接，等待处理中的请求完成");
        };
        let served = registry_http::serve(listener, state, shutdown).await;
        // The mail server's pool of connections ends inside the runtime.
        drop(mailer);
        match served {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(format!("无法在 {bind} 上提供服务：{e}"), FAILURE),
        }
    })
}

//! The load balancer and the instances of the scale proof (`cargo xtask proof --scale`):
//! Debian's nginx in front of several `registry serve` processes on loopback, configured
//! from the repository's own files, so that what the proof measures is what
//! docs/DEPLOYMENT.md deploys.
//!
//! The configuration is written for the proof (its own prefix, ports and upstreams), but
//! its parts come from the repository: every `location` includes
//! `deploy/registry-proxy.conf` as the production site does, and each upstream server
//! line takes the parameters (`max_fails`, `fail_timeout`) and the `keepalive` of
//! `deploy/nginx.conf`'s upstream. One thing is the proof's own: the clients on loopback
//! stand for many visitors, so nginx takes the visitor's address from their
//! `X-Forwarded-For` (the `realip` module, as behind an outer balancer); the instances then
//! see it exactly as in production, from nginx's `X-Forwarded-For $remote_addr`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};
use registry_store::DatabaseUrl;

use crate::harness::{Server, free_address, request, start_on};

/// One `registry serve` of the proof, which may be stopped and started again on its port.
pub(crate) struct Instance {
    pub(crate) addr: SocketAddr,
    server: Option<Server>,
    registry: PathBuf,
    url: DatabaseUrl,
}

/// What every instance of the proof is started with: it trusts nginx (on loopback) for
/// the client's address.
const ENV: [(&str, &str); 2] = [
    ("REGISTRY_TRUSTED_PROXY", "127.0.0.1"),
    ("RUST_LOG", "warn"),
];

impl Instance {
    pub(crate) fn start(registry: &Path, url: &DatabaseUrl) -> Result<Instance> {
        let addr = free_address()?;
        let server = start_on(registry, url, &ENV, addr)?;
        Ok(Instance {
            addr,
            server: Some(server),
            registry: registry.to_owned(),
            url: url.clone(),
        })
    }

    fn pid(&self) -> Result<u32> {
        Ok(self
            .server
            .as_ref()
            .context("the instance is stopped")?
            .0
            .id())
    }

    /// SIGTERM, as systemd stops a unit: waits for the process to end and answers its exit
    /// status (0 for a clean stop) and how long the stop took.
    pub(crate) fn stop(&mut self) -> Result<(Option<i32>, Duration)> {
        let pid = self.pid()?;
        let started = Instant::now();
        signal("TERM", pid)?;
        let mut server = self.server.take().context("the instance is stopped")?;
        loop {
            if let Some(status) = server.0.try_wait()? {
                return Ok((status.code(), started.elapsed()));
            }
            ensure!(
                started.elapsed() < Duration::from_secs(30),
                "the instance did not stop within 30 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: the process ends at once, with whatever it had in flight.
    pub(crate) fn kill(&mut self) -> Result<()> {
        let pid = self.pid()?;
        signal("KILL", pid)?;
        if let Some(mut server) = self.server.take() {
            let _ = server.0.wait();
        }
        Ok(())
    }

    /// Starts the instance again on the same port.
    pub(crate) fn restart(&mut self) -> Result<()> {
        ensure!(self.server.is_none(), "the instance is still running");
        self.server = Some(start_on(&self.registry, &self.url, &ENV, self.addr)?);
        Ok(())
    }
}

fn signal(name: &str, pid: u32) -> Result<()> {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .context("kill")?;
    ensure!(status.success(), "kill -{name} {pid} failed");
    Ok(())
}

/// nginx, stopped (SIGQUIT, then SIGKILL) when dropped.
pub(crate) struct Nginx {
    child: Child,
    /// Each balanced site: its address and how many instances it spreads over.
    pub(crate) sites: Vec<(SocketAddr, usize)>,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = signal("QUIT", self.child.id());
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The upstream server parameters and the `keepalive` line of `deploy/nginx.conf`.
fn production_upstream(root: &Path) -> Result<(String, String)> {
    let text =
        std::fs::read_to_string(root.join("deploy/nginx.conf")).context("deploy/nginx.conf")?;
    let block = text
        .split("upstream registry {")
        .nth(1)
        .and_then(|rest| rest.split('}').next())
        .context("deploy/nginx.conf has no `upstream registry` block")?;
    let mut parameters = None;
    let mut keepalive = None;
    for line in block.lines().map(str::trim) {
        if let Some(server) = line.strip_prefix("server ") {
            let mut words = server.trim_end_matches(';').split_whitespace();
            let _address = words.next();
            parameters.get_or_insert_with(|| words.collect::<Vec<_>>().join(" "));
        } else if line.starts_with("keepalive ") {
            keepalive = Some(line.to_owned());
        }
    }
    Ok((
        parameters.context("no server line in the upstream")?,
        keepalive.context("no keepalive in the upstream")?,
    ))
}

/// Starts nginx with one site per entry of `spreads`: a site balancing over the first `n`
/// of `instances`.
pub(crate) fn start_nginx(
    root: &Path,
    dir: &Path,
    instances: &[Instance],
    spreads: &[usize],
) -> Result<Nginx> {
    let (parameters, keepalive) = production_upstream(root)?;
    let proxy = root.join("deploy/registry-proxy.conf");
    ensure!(proxy.is_file(), "{} is missing", proxy.display());
    std::fs::create_dir_all(dir)?;
    let mut http = String::new();
    let mut sites = Vec::new();
    for (index, &n) in spreads.iter().enumerate() {
        ensure!(n >= 1 && n <= instances.len(), "a site over {n} instances");
        let listen = free_address()?;
        http.push_str(&format!("    upstream site{index} {{\n"));
        for instance in instances.iter().take(n) {
            http.push_str(&format!("        server {} {parameters};\n", instance.addr));
        }
        http.push_str(&format!(
            "        {keepalive}\n    }}\n    server {{\n        listen {listen};\n        location / {{\n            proxy_pass http://site{index};\n            include {};\n        }}\n    }}\n",
            proxy.display()
        ));
        sites.push((listen, n));
    }
    let d = dir.display();
    let config = format!(
        "daemon off;\nmaster_process on;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{\n    worker_connections 4096;\n}}\n\
         http {{\n    access_log off;\n    client_body_temp_path {d}/body;\n    proxy_temp_path {d}/proxy;\n    fastcgi_temp_path {d}/fastcgi;\n    uwsgi_temp_path {d}/uwsgi;\n    scgi_temp_path {d}/scgi;\n    client_max_body_size 33m;\n\
         \x20   # The proof's clients on loopback stand for many visitors (see balancer.rs).\n    set_real_ip_from 127.0.0.1;\n    real_ip_header X-Forwarded-For;\n{http}}}\n"
    );
    let file = dir.join("nginx.conf");
    std::fs::write(&file, config)?;
    // Its own prefix, error log and configuration: nothing of the machine's nginx.
    let nginx = || {
        let mut command = Command::new("nginx");
        command
            .arg("-p")
            .arg(dir)
            .arg("-e")
            .arg(dir.join("error.log"))
            .arg("-c")
            .arg(&file);
        command
    };
    let check = nginx()
        .arg("-t")
        .output()
        .context("nginx (Debian: apt-get install -y nginx-light)")?;
    if !check.status.success() {
        bail!(
            "nginx -t refused the proof's configuration: {}",
            String::from_utf8_lossy(&check.stderr)
        );
    }
    let child = nginx()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start nginx")?;
    let nginx = Nginx { child, sites };
    let started = Instant::now();
    for (site, _) in &nginx.sites {
        while !matches!(
            request(*site, "GET", "/healthz", "", &[], b""),
            Ok((200, ..))
        ) {
            ensure!(
                started.elapsed() < Duration::from_secs(20),
                "nginx did not answer on {site}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    Ok(nginx)
}

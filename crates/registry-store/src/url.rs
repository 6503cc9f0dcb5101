//! Database URLs: which engine, where, and a `Debug`/`Display` that never shows a password.

use std::fmt;
use std::path::{Path, PathBuf};

/// The database engines the register runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// SQLite: one file, embedded; the default.
    Sqlite,
    /// PostgreSQL: for several server instances over one database.
    Postgres,
}

/// Why a database URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Neither `sqlite:` nor `postgres://` / `postgresql://`.
    #[error(
        "unsupported database URL {0}: use sqlite:///absolute/path.sqlite3?mode=rwc or postgres://user@host:port/db"
    )]
    Scheme(String),
    /// A SQLite URL without a file path.
    #[error("the SQLite URL {0} names no file")]
    NoFile(String),
}

/// A database URL. The password, if any, never appears in `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    url: String,
    engine: Engine,
}

/// The default SQLite file, relative to the working directory.
pub const DEFAULT_SQLITE_FILE: &str = "data/registry.sqlite3";

impl DatabaseUrl {
    /// Parses `sqlite://…`, `sqlite:…` or `postgres://…` (`postgresql://…`).
    pub fn parse(text: &str) -> Result<DatabaseUrl, UrlError> {
        let url = text.trim().to_owned();
        let engine = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Engine::Postgres
        } else if url.starts_with("sqlite:") {
            Engine::Sqlite
        } else {
            return Err(UrlError::Scheme(redact(&url)));
        };
        let parsed = DatabaseUrl { url, engine };
        if engine == Engine::Sqlite
            && parsed.sqlite_file().is_none()
            && !parsed.url.contains(":memory:")
            && !parsed.url.contains("mode=memory")
        {
            return Err(UrlError::NoFile(parsed.to_string()));
        }
        Ok(parsed)
    }

    /// The URL of a SQLite file, created if missing (`mode=rwc`).
    pub fn sqlite_file_url(path: &Path) -> DatabaseUrl {
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        DatabaseUrl {
            url: format!("sqlite://{}?mode=rwc", absolute.display()),
            engine: Engine::Sqlite,
        }
    }

    /// The default: `./data/registry.sqlite3`.
    pub fn default_sqlite() -> DatabaseUrl {
        Self::sqlite_file_url(Path::new(DEFAULT_SQLITE_FILE))
    }

    /// The engine.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The SQLite file, if this is a SQLite file URL.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        if self.engine != Engine::Sqlite {
            return None;
        }
        let rest = self.url.strip_prefix("sqlite:")?;
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let path = rest.split('?').next().unwrap_or("");
        if path.is_empty() || path == ":memory:" {
            return None;
        }
        Some(PathBuf::from(path))
    }

    /// The full URL, password included: for the database driver only.
    pub(crate) fn expose(&self) -> &str {
        &self.url
    }
}

/// Replaces the password of `scheme://user:password@host` with `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}{tail}")
            } else {
                url.to_owned()
            }
        }
        None => url.to_owned(),
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.url))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", redact(&self.url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_shows() {
        let url =
            DatabaseUrl::parse("postgres://registry:s3cret@db.example:5432/registry").unwrap();
        assert_eq!(url.engine(), Engine::Postgres);
        assert_eq!(
            url.to_string(),
            "postgres://registry:***@db.example:5432/registry"
        );
        assert_eq!(
            format!("{url:?}"),
            "DatabaseUrl(postgres://registry:***@db.example:5432/registry)"
        );
        assert!(!format!("{url:?}{url}").contains("s3cret"));
        let error = DatabaseUrl::parse("mysql://root:hunter2@localhost/db").unwrap_err();
        assert!(!error.to_string().contains("hunter2"));
        let plain = DatabaseUrl::parse("postgres://postgres@127.0.0.1:5432/postgres").unwrap();
        assert_eq!(
            plain.to_string(),
            "postgres://postgres@127.0.0.1:5432/postgres"
        );
    }

    #[test]
    fn sqlite_urls_name_their_file() {
        let url = DatabaseUrl::parse("sqlite:///var/lib/registry/r.sqlite3?mode=rwc").unwrap();
        assert_eq!(
            url.sqlite_file(),
            Some(PathBuf::from("/var/lib/registry/r.sqlite3"))
        );
        let relative = DatabaseUrl::parse("sqlite:data/r.sqlite3").unwrap();
        assert_eq!(
            relative.sqlite_file(),
            Some(PathBuf::from("data/r.sqlite3"))
        );
        assert!(DatabaseUrl::parse("sqlite::memory:").is_ok());
        assert!(
            DatabaseUrl::default_sqlite()
                .expose()
                .ends_with("data/registry.sqlite3?mode=rwc")
        );
    }
}

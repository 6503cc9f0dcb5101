//! The storage contract suite: the same tests on SQLite (always) and PostgreSQL (when
//! `REGISTRY_TEST_DATABASE_URL` is set at build time). Every test gets its own database and
//! runs the real migrations.

mod audit_chain;
mod bulk;
mod concurrency;
mod contract;
mod crash;
mod cycles;
mod documents;
mod instances;
mod job_lock;
mod queries;
mod state_in_sql;
mod support;

/// Defines each listed `async fn(TestDb)` as a test on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::support::TestDb::sqlite().await).await;
                }
            )*
        }
        #[cfg(pg_tests)]
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::support::TestDb::postgres().await).await;
                }
            )*
        }
    };
}

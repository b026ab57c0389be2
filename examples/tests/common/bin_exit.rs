//! The built `oneshot-server` run to its exit, for the flags and
//! configurations it must refuse.

use std::process::Stdio;
use std::time::Duration;

/// Runs the binary with `args` and `env` (no store URL or create token
/// inherited) until it exits, within 20 s: its exit code and stderr.
pub(crate) async fn run_to_exit(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let out = tokio::time::timeout(
        Duration::from_secs(20),
        tokio::process::Command::new(env!("CARGO_BIN_EXE_oneshot-server"))
            .args(args)
            .env_remove("ONESHOT_CREATE_TOKEN")
            .env_remove("ONESHOT_REDIS_URL")
            .env_remove("ONESHOT_POSTGRES_URL")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("exits within 20 s")
    .expect("the binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

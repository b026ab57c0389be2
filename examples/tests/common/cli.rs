//! Running the built `oneshot` binary and checking what it says.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt;

/// What a run of the CLI left behind.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: String,
}

/// Runs the CLI with no ONESHOT_* variables set.
pub(crate) async fn oneshot(args: &[&str], stdin: &[u8]) -> Run {
    run_oneshot(args, stdin, &[], None).await
}

/// Runs the CLI with only `env` of the ONESHOT_* variables set, in `dir`
/// (or this process's directory).
///
/// It runs in a session of its own (util-linux `setsid`), without a
/// controlling terminal, so that it never prompts on the terminal of
/// whoever runs the tests: what it does without one is what is tested.
pub(crate) async fn run_oneshot(
    args: &[&str],
    stdin: &[u8],
    env: &[(&str, &str)],
    dir: Option<&Path>,
) -> Run {
    let mut command = tokio::process::Command::new("setsid");
    command.args(["--wait", env!("CARGO_BIN_EXE_oneshot")]);
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let mut child = command
        .args(args)
        .env_remove("ONESHOT_SERVER")
        .env_remove("ONESHOT_TOKEN")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run the oneshot binary (through util-linux `setsid`)");
    let mut pipe = child.stdin.take().unwrap();
    // The CLI may exit before reading everything (e.g. on a usage error).
    let _ = pipe.write_all(stdin).await;
    drop(pipe);
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("the CLI finishes within 30 s")
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// An error is one line on stderr, prefixed, and nothing on stdout.
pub(crate) fn assert_one_line_error(run: &Run, code: i32, needle: &str) {
    assert_eq!(run.code, code, "stderr: {}", run.stderr);
    assert!(run.stdout.is_empty(), "nothing on stdout");
    assert_eq!(run.stderr.lines().count(), 1, "one line: {:?}", run.stderr);
    assert!(run.stderr.starts_with("oneshot: error: "), "{}", run.stderr);
    assert!(
        run.stderr.contains(needle),
        "{:?} in {}",
        needle,
        run.stderr
    );
}

/// Shares `secret` (with `extra` flags); the link, checked to be one line.
pub(crate) async fn share(base: &str, secret: &[u8], extra: &[&str]) -> String {
    let mut args = vec!["share", "--server", base];
    args.extend_from_slice(extra);
    let run = oneshot(&args, secret).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let link = String::from_utf8(run.stdout).unwrap();
    assert!(link.ends_with('\n') && link.lines().count() == 1);
    link.trim().to_owned()
}

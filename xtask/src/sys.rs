//! Running external programs and other small operating-system helpers.
//!
//! Every helper turns a failure into a message that names the command that failed and shows
//! what it printed, because the person reading it usually has no other way to find out.

use std::ffi::OsString;
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::Result;

/// How much of a failed command's output goes into an error message: enough to see the cause,
/// not so much that it scrolls away.
const OUTPUT_TAIL_LINES: usize = 30;

/// Renders a command roughly as it would be typed in a shell, for headers and error messages.
pub fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|part| {
            let part = part.to_string_lossy();
            if part.is_empty() || part.contains(char::is_whitespace) {
                format!("'{part}'")
            } else {
                part.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs a command with the terminal attached (its output is for the user to see) and fails
/// unless it exits successfully.
pub fn run(cmd: &mut Command) -> Result {
    let status = status(cmd)?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", describe(cmd)))
    }
}

/// Runs a command with the terminal attached and returns its exit status, whatever it is.
pub fn status(cmd: &mut Command) -> Result<ExitStatus> {
    cmd.status()
        .map_err(|err| format!("could not start `{}`: {err}", describe(cmd)))
}

/// Runs a command quietly and returns its standard output; on failure the error carries the
/// tail of what it printed.
pub fn output(cmd: &mut Command) -> Result<String> {
    output_with_stdin(cmd, None)
}

/// Like [`output`], feeding `input` to the command's standard input (used for SQL scripts,
/// which may not run inside the single transaction that `psql -c` uses).
pub fn output_with_stdin(cmd: &mut Command, input: Option<&str>) -> Result<String> {
    let describe_cmd = describe(cmd);
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|err| format!("could not start `{describe_cmd}`: {err}"))?;
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin
            .write_all(input.as_bytes())
            .map_err(|err| format!("could not write to `{describe_cmd}`: {err}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|err| format!("could not wait for `{describe_cmd}`: {err}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        return Ok(stdout);
    }
    let printed = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    Err(format!(
        "`{describe_cmd}` failed ({}){}",
        out.status,
        indented_tail(&printed, OUTPUT_TAIL_LINES)
    ))
}

/// The last `max` non-empty lines of `text`, each indented, preceded by a newline; empty when
/// there is nothing to show. Used to append a program's output to an error message.
pub fn indented_tail(text: &str, max: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(max);
    lines[start..]
        .iter()
        .map(|line| format!("\n    {line}"))
        .collect()
}

/// Whether this process runs as root. PostgreSQL refuses to run as root, and package
/// installation needs it. `/proc/self` is owned by the process's effective user, which
/// answers the question without `unsafe` or a libc binding.
pub fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

/// Finds an executable on `PATH`, like `command -v`.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| {
            candidate
                .metadata()
                .is_ok_and(|meta| meta.is_file() && meta.mode() & 0o111 != 0)
        })
}

/// A `cargo` command running in the project root. Uses the cargo that launched xtask (it sets
/// `CARGO`) so that toolchain overrides and rustup proxies behave as the user expects.
pub fn cargo(root: &Path) -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut cmd = Command::new(program);
    cmd.current_dir(root);
    // `cargo run` gave this process the xtask package's CARGO_MANIFEST_DIR, CARGO_PKG_* and
    // friends. Build scripts (ring, cc) track some of them, so passing them on would make every
    // inner build look dirty and recompile half the dependency tree.
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        let set_by_cargo_run = key.starts_with("CARGO_PKG_")
            || key.starts_with("CARGO_MANIFEST_")
            || matches!(
                key,
                "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE"
            );
        if set_by_cargo_run {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Reserves `count` distinct free TCP ports on the loopback interface. The listeners are held
/// until all ports are chosen so the same port cannot come back twice; another program could
/// still take one before our server binds it, which is unlikely enough for local tests.
pub fn free_ports(count: usize) -> Result<Vec<u16>> {
    let listeners = (0..count)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|err| format!("could not find a free TCP port on 127.0.0.1: {err}"))?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|addr| addr.port()))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|err| format!("could not read the address of a TCP listener: {err}"))
}

/// Creates a directory and its parents, with a message that says which one failed.
pub fn create_dir_all(dir: &Path) -> Result {
    std::fs::create_dir_all(dir)
        .map_err(|err| format!("could not create directory {}: {err}", dir.display()))
}

/// Installs a Ctrl+C (and SIGTERM) handler that only records the request.
///
/// Children in the foreground get the same SIGINT from the terminal and stop on their own; the
/// flag tells us afterwards that the stop was requested, so we still clean up our servers
/// instead of dying with them left running.
pub fn interrupt_flag() -> Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    let handler_flag = Arc::clone(&flag);
    ctrlc::set_handler(move || handler_flag.store(true, Ordering::SeqCst))
        .map_err(|err| format!("could not install the Ctrl+C handler: {err}"))?;
    Ok(flag)
}

/// Fails if Ctrl+C was pressed; checked between steps so that nothing new starts after it.
pub fn check_interrupted(flag: &AtomicBool) -> Result {
    if flag.load(Ordering::SeqCst) {
        Err("interrupted".to_string())
    } else {
        Ok(())
    }
}

/// Combines the outcome of a task with the outcome of its cleanup: the task's own error comes
/// first because it is the cause, but a failed cleanup is never hidden.
pub fn with_cleanup<T>(outcome: Result<T>, cleanup: Result) -> Result<T> {
    match (outcome, cleanup) {
        (Ok(value), Ok(())) => Ok(value),
        (Err(err), Ok(())) | (Ok(_), Err(err)) => Err(err),
        (Err(err), Err(cleanup_err)) => Err(format!("{err}\n(cleanup failed too: {cleanup_err})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_quotes_arguments_with_spaces() {
        let mut cmd = Command::new("relais");
        cmd.args(["tenant", "create", "--name", "Démo Conseil", ""]);
        assert_eq!(
            describe(&cmd),
            "relais tenant create --name 'Démo Conseil' ''"
        );
    }

    #[test]
    fn indented_tail_keeps_last_non_empty_lines() {
        assert_eq!(indented_tail("a\n\nb\nc\n", 2), "\n    b\n    c");
        assert_eq!(indented_tail("", 5), "");
    }

    #[test]
    fn cleanup_errors_are_reported_after_the_cause() {
        assert_eq!(with_cleanup(Ok(1), Ok(())), Ok(1));
        assert_eq!(
            with_cleanup::<()>(Ok(()), Err("stop".into())),
            Err("stop".into())
        );
        assert_eq!(
            with_cleanup::<()>(Err("step".into()), Err("stop".into())),
            Err("step\n(cleanup failed too: stop)".into())
        );
    }

    #[test]
    fn free_ports_are_distinct() {
        let ports = free_ports(2).expect("loopback is available");
        assert_eq!(ports.len(), 2);
        assert_ne!(ports[0], ports[1]);
    }
}

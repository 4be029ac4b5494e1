//! A throwaway Redis server for the test suite.
//!
//! It keeps nothing on disk (`--save ''`, no append-only file) and runs as a daemon whose pid
//! file lives in the test directory, so it can be stopped even after xtask itself was killed.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::{Result, sys};

/// How long to wait for the server to answer after starting, and to exit after stopping.
const WAIT: Duration = Duration::from_secs(5);

/// A Redis server on 127.0.0.1:`port` with its files in `dir`.
#[derive(Debug)]
pub struct RedisServer {
    pub port: u16,
    dir: PathBuf,
}

impl RedisServer {
    pub fn new(dir: PathBuf, port: u16) -> Self {
        Self { port, dir }
    }

    fn pid_file(&self) -> PathBuf {
        pid_file_in(&self.dir)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts the daemon and waits until it answers `PING`.
    pub fn start(&self) -> Result {
        println!("starting Redis on 127.0.0.1:{}", self.port);
        sys::create_dir_all(&self.dir)?;
        let mut cmd = Command::new("redis-server");
        cmd.arg("--port")
            .arg(self.port.to_string())
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--daemonize", "yes", "--pidfile"])
            .arg(self.pid_file())
            .arg("--dir")
            .arg(&self.dir)
            // Without a log file a daemonized Redis discards its log, hiding why it failed.
            .arg("--logfile")
            .arg(self.dir.join("redis.log"));
        sys::output(&mut cmd)?;
        let deadline = Instant::now() + WAIT;
        while !self.answers_ping() {
            if Instant::now() > deadline {
                return Err(format!(
                    "Redis did not answer on port {} within {} s; see {}",
                    self.port,
                    WAIT.as_secs(),
                    self.dir.join("redis.log").display()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// Sends `PING` over the wire protocol; avoids depending on `redis-cli` being installed.
    fn answers_ping(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
        let mut reply = [0; 7];
        stream.write_all(b"PING\r\n").is_ok()
            && stream.read_exact(&mut reply).is_ok()
            && &reply == b"+PONG\r\n"
    }

    /// Stops the server if it runs: by pid when the pid file names a live Redis, otherwise by
    /// asking whatever listens on our port to shut down.
    pub fn stop(&self) -> Result {
        if stop_by_pid_file(&self.dir)? {
            return Ok(());
        }
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) {
            // The server closes the connection without replying; errors mean it is gone.
            let _ = stream.write_all(b"SHUTDOWN NOSAVE\r\n");
        }
        Ok(())
    }
}

fn pid_file_in(dir: &Path) -> PathBuf {
    dir.join("redis.pid")
}

/// Stops the Redis whose pid file is in `dir`, e.g. one left behind by an interrupted run.
/// Returns whether there was one. The pid is checked to belong to `redis-server` so that a
/// stale file never makes us signal an unrelated process that reused the pid.
pub fn stop_by_pid_file(dir: &Path) -> Result<bool> {
    let Ok(contents) = std::fs::read_to_string(pid_file_in(dir)) else {
        return Ok(false);
    };
    let Ok(pid) = contents.trim().parse::<u32>() else {
        return Ok(false);
    };
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    let is_redis = std::fs::read_to_string(proc_dir.join("comm"))
        .is_ok_and(|comm| comm.trim().starts_with("redis-server"));
    if !is_redis {
        return Ok(false);
    }
    let mut kill = Command::new("kill");
    kill.arg(pid.to_string());
    sys::output(&mut kill)?;
    let deadline = Instant::now() + WAIT;
    while is_alive(&proc_dir) {
        if Instant::now() > deadline {
            return Err(format!(
                "Redis (pid {pid}) did not exit within {} s",
                WAIT.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(true)
}

/// Whether the process behind `/proc/<pid>` still runs. A zombie counts as gone: in a
/// container whose init does not reap orphans, a stopped daemon can stay a zombie for ever.
fn is_alive(proc_dir: &Path) -> bool {
    std::fs::read_to_string(proc_dir.join("stat")).is_ok_and(|stat| {
        // The state letter follows the command name, which is in parentheses.
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X")
    })
}

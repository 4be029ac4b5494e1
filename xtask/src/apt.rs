//! Installing the system packages the tasks need, with Debian's `apt-get`.
//!
//! A fresh machine (a new developer laptop, a new CI runner) must get from a clone to a green
//! `cargo xtask test` without manual setup, so missing servers are installed on demand rather
//! than documented as prerequisites.

use std::path::Path;
use std::process::Command;

use crate::{Result, pg, sys};

/// A program the tasks run, and the Debian packages that provide it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// The PostgreSQL server binaries (`initdb`, `pg_ctl`, `postgres`) and the `psql` client.
    Postgres,
    /// `redis-server`, for the tests of the job queue and rate limiting.
    Redis,
    /// Node.js and npm, to install and run newman (the Postman collection runner).
    Node,
    /// Headless Chromium and its driver, for the web app's browser tests.
    Chromium,
}

impl Tool {
    /// The name printed while installing.
    fn name(self) -> &'static str {
        match self {
            Tool::Postgres => "postgresql",
            Tool::Redis => "redis-server",
            Tool::Node => "nodejs",
            Tool::Chromium => "chromium",
        }
    }

    /// The packages to install. `postgresql` pulls in the client; `postgresql-contrib` brings
    /// the extensions (unaccent, pg_trgm, pgcrypto) the migrations create.
    fn packages(self) -> &'static [&'static str] {
        match self {
            Tool::Postgres => &["postgresql", "postgresql-contrib"],
            Tool::Redis => &["redis-server"],
            Tool::Node => &["nodejs", "npm"],
            Tool::Chromium => &["chromium", "chromium-driver"],
        }
    }

    /// Whether the tool is already installed. Debian puts the PostgreSQL server outside `PATH`
    /// (in `/usr/lib/postgresql/<version>/bin`), hence the dedicated lookup.
    fn is_present(self) -> bool {
        match self {
            Tool::Postgres => pg::find_bin_dir().is_ok() && Path::new(pg::PSQL).exists(),
            Tool::Redis => sys::which("redis-server").is_some(),
            Tool::Node => sys::which("node").is_some() && sys::which("npm").is_some(),
            Tool::Chromium => Path::new("/usr/bin/chromium").exists(),
        }
    }
}

/// Makes sure every tool in `tools` is installed, installing the missing ones.
///
/// `apt-get update` runs only when an install fails, because it is slow and usually
/// unnecessary; the install is then retried once.
pub fn ensure_packages(tools: &[Tool]) -> Result {
    let missing: Vec<Tool> = tools.iter().copied().filter(|t| !t.is_present()).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let packages: Vec<&str> = missing.iter().flat_map(|t| t.packages()).copied().collect();
    let apt = AptGet::for_current_user().map_err(|why| {
        format!(
            "{why}; install the missing packages yourself: apt-get install {}",
            packages.join(" ")
        )
    })?;
    let mut updated = false;
    for tool in missing {
        println!("installing {}…", tool.name());
        if let Err(first) = apt.install(tool.packages()) {
            if updated {
                return Err(first);
            }
            println!("install failed; running apt-get update and retrying…");
            apt.update()?;
            updated = true;
            apt.install(tool.packages())?;
        }
        if !tool.is_present() {
            return Err(format!(
                "installed {} but still cannot find it",
                tool.packages().join(" ")
            ));
        }
    }
    Ok(())
}

/// How to invoke `apt-get` with enough privileges.
struct AptGet {
    /// Whether to go through `sudo` (when not root).
    sudo: bool,
}

impl AptGet {
    fn for_current_user() -> Result<Self> {
        if sys::is_root() {
            Ok(Self { sudo: false })
        } else if sys::which("sudo").is_some() {
            Ok(Self { sudo: true })
        } else {
            Err("installing packages needs root, and sudo is not available".to_string())
        }
    }

    /// An `apt-get` command that never asks questions. `sudo` resets the environment, so the
    /// variable is passed through `env` in that case.
    fn command(&self) -> Command {
        let mut cmd = if self.sudo {
            let mut cmd = Command::new("sudo");
            cmd.args(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]);
            cmd
        } else {
            Command::new("apt-get")
        };
        cmd.env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    }

    fn install(&self, packages: &[&str]) -> Result {
        let mut cmd = self.command();
        cmd.args(["install", "-y", "--no-install-recommends"])
            .args(packages);
        sys::output(&mut cmd).map(drop)
    }

    fn update(&self) -> Result {
        let mut cmd = self.command();
        cmd.arg("update");
        sys::output(&mut cmd).map(drop)
    }
}

//! A private PostgreSQL cluster kept in a project directory.
//!
//! The tasks never touch a system-wide PostgreSQL service: each cluster lives in its own
//! directory, listens on its own port on 127.0.0.1 and on a socket inside that directory, so a
//! developer's other databases are left alone and several checkouts can coexist.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Result, sys};

/// Where Debian installs one directory per PostgreSQL major version.
const VERSIONS_DIR: &str = "/usr/lib/postgresql";

/// The `psql` client from `postgresql-client`, used when the server's own copy is missing.
pub const PSQL: &str = "/usr/bin/psql";

/// The system account that owns the cluster when we run as root: PostgreSQL refuses to run
/// as root, and Debian's package creates this account.
const SERVER_USER: &str = "postgres";

/// The superuser created by `initdb -U`; it authenticates without a password (`trust`), which
/// is acceptable because the server only listens on loopback and a private socket directory.
pub const SUPERUSER: &str = "postgres";

/// A login role the application needs.
struct Role {
    name: &'static str,
    password: &'static str,
    attributes: &'static str,
}

/// The roles every cluster gets. The server must never connect as a superuser or a role that
/// bypasses row-level security, or tenant isolation would silently stop applying.
const ROLES: &[Role] = &[
    // Runs the migrations and owns the schema. BYPASSRLS because the migrations define narrow
    // SECURITY DEFINER lookup functions (e.g. finding a tenant by slug at login) that must see
    // across tenants.
    Role {
        name: "relais_owner",
        password: "relais_owner",
        attributes: "NOSUPERUSER BYPASSRLS CREATEDB",
    },
    // The role the server connects as: subject to row-level security in every query.
    Role {
        name: "relais_app",
        password: "relais_app",
        attributes: "NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE",
    },
];

/// The role that owns the application database.
pub const OWNER_ROLE: &str = "relais_owner";
/// The role the application server connects as.
pub const APP_ROLE: &str = "relais_app";

/// One PostgreSQL cluster: `dir/data` holds the database files, `dir/log` the server log and
/// `dir/sock` the Unix socket.
#[derive(Debug)]
pub struct PgCluster {
    pub dir: PathBuf,
    pub port: u16,
    pub bin_dir: PathBuf,
}

impl PgCluster {
    /// Describes a cluster in `dir` on `port`, using the newest installed PostgreSQL.
    pub fn new(dir: PathBuf, port: u16) -> Result<Self> {
        Ok(Self {
            dir,
            port,
            bin_dir: find_bin_dir()?,
        })
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn log_file(&self) -> PathBuf {
        self.dir.join("log")
    }

    fn socket_dir(&self) -> PathBuf {
        self.dir.join("sock")
    }

    /// Whether `initdb` has already run (it writes `PG_VERSION` last among the files we check).
    fn is_initialized(&self) -> bool {
        self.data_dir().join("PG_VERSION").is_file()
    }

    /// Creates the cluster unless it already exists.
    pub fn init_if_missing(&self) -> Result {
        self.prepare_dirs()?;
        if self.is_initialized() {
            return Ok(());
        }
        println!(
            "creating PostgreSQL cluster in {}",
            self.data_dir().display()
        );
        let mut cmd = self.server_command("initdb");
        cmd.arg("-D")
            .arg(self.data_dir())
            .args(["-U", SUPERUSER, "--auth=trust", "-E", "UTF8"])
            .arg("--locale=C.UTF-8");
        sys::output(&mut cmd).map(drop)
    }

    /// Creates the cluster directories. As root they are handed to the `postgres` account,
    /// and every parent is made traversable so that account can reach them at all.
    fn prepare_dirs(&self) -> Result {
        sys::create_dir_all(&self.socket_dir())?;
        if !sys::is_root() {
            return Ok(());
        }
        let dir = self
            .dir
            .canonicalize()
            .map_err(|err| format!("could not resolve the path {}: {err}", self.dir.display()))?;
        for ancestor in dir.ancestors().skip(1) {
            ensure_traversable(ancestor)?;
        }
        let mut chown = Command::new("chown");
        chown
            .arg("-R")
            .arg(format!("{SERVER_USER}:{SERVER_USER}"))
            .arg(&dir);
        sys::output(&mut chown).map(drop)
    }

    /// Whether a server is running on this cluster's data directory.
    pub fn is_running(&self) -> bool {
        if !self.is_initialized() {
            return false;
        }
        let mut cmd = self.server_command("pg_ctl");
        cmd.arg("status").arg("-D").arg(self.data_dir());
        sys::output(&mut cmd).is_ok()
    }

    /// Starts the server and waits until it accepts connections; `extra_opts` are appended to
    /// the server's command line (e.g. `-c fsync=off`). Does nothing if it is already running,
    /// provided it listens on the expected port.
    pub fn start(&self, extra_opts: &str) -> Result {
        if self.is_running() {
            return match self.running_port() {
                Some(port) if port != self.port => Err(format!(
                    "PostgreSQL in {} is already running on port {port}, not {}; stop it \
                     (pg_ctl -D {} stop) or use that port",
                    self.dir.display(),
                    self.port,
                    self.data_dir().display()
                )),
                _ => {
                    println!("reusing PostgreSQL already running on port {}", self.port);
                    Ok(())
                }
            };
        }
        println!("starting PostgreSQL on 127.0.0.1:{}", self.port);
        let options = format!(
            "-k {} -p {} -c listen_addresses=127.0.0.1 {extra_opts}",
            shell_quote(&self.socket_dir().to_string_lossy()),
            self.port
        );
        let mut cmd = self.server_command("pg_ctl");
        cmd.arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.log_file())
            .args(["-w", "start", "-o", options.trim_end()]);
        sys::output(&mut cmd).map(drop).map_err(|err| {
            let log = std::fs::read_to_string(self.log_file()).unwrap_or_default();
            format!(
                "{err}\n  end of {}:{}",
                self.log_file().display(),
                sys::indented_tail(&log, 15)
            )
        })
    }

    /// The port recorded by the running server (fourth line of `postmaster.pid`).
    fn running_port(&self) -> Option<u16> {
        let pid_file = std::fs::read_to_string(self.data_dir().join("postmaster.pid")).ok()?;
        port_from_pid_file(&pid_file)
    }

    /// Stops the server if it runs. `mode` is pg_ctl's shutdown mode: `fast` for a clean stop,
    /// `immediate` for throwaway clusters whose data does not matter.
    pub fn stop(&self, mode: &str) -> Result {
        if !self.is_running() {
            return Ok(());
        }
        let mut cmd = self.server_command("pg_ctl");
        cmd.arg("-D")
            .arg(self.data_dir())
            .args(["-m", mode, "-w", "stop"]);
        sys::output(&mut cmd).map(drop)
    }

    /// Runs one SQL command as the superuser.
    pub fn psql_super(&self, sql: &str) -> Result<String> {
        self.psql_super_in("postgres", sql)
    }

    /// Runs one statement as the superuser in database `db`.
    pub fn psql_super_in(&self, db: &str, sql: &str) -> Result<String> {
        let mut cmd = self.psql(db);
        cmd.arg("-c").arg(sql);
        sys::output(&mut cmd)
    }

    /// Runs a script of several statements as the superuser. Unlike `-c`, `-f` does not wrap
    /// the statements in one transaction.
    pub fn psql_super_script(&self, sql: &str) -> Result<String> {
        let mut cmd = self.psql("postgres");
        cmd.args(["-f", "-"]);
        sys::output_with_stdin(&mut cmd, Some(sql))
    }

    /// Creates the application roles and the database `db_name` if missing, so that it is safe
    /// to run on every start. Role attributes are re-applied each time, so a cluster created by
    /// an older version of this task is brought up to date.
    pub fn ensure_roles_and_db(&self, db_name: &str) -> Result {
        self.psql_super_script(&roles_sql())?;
        let exists = self.psql_super(&format!(
            "SELECT 1 FROM pg_database WHERE datname = {}",
            quote_literal(db_name)
        ))?;
        if exists.trim() != "1" {
            println!("creating database {db_name}");
            self.psql_super(&format!(
                "CREATE DATABASE {} OWNER {}",
                quote_ident(db_name),
                quote_ident(OWNER_ROLE)
            ))?;
        }
        Ok(())
    }

    /// A TCP connection URL for `user` to database `db`, with the role's password from
    /// [`ROLES`] (the superuser has none: it is trusted).
    pub fn url(&self, user: &str, db: &str) -> String {
        match ROLES.iter().find(|role| role.name == user) {
            Some(role) => format!(
                "postgres://{user}:{}@127.0.0.1:{}/{db}",
                role.password, self.port
            ),
            None => format!("postgres://{user}@127.0.0.1:{}/{db}", self.port),
        }
    }

    /// A `psql` command connected as the superuser over TCP to database `db`. `-X` ignores the user's `.psqlrc`
    /// and `-tA` prints bare values, so output can be compared as text.
    fn psql(&self, db: &str) -> Command {
        let own = self.bin_dir.join("psql");
        let mut cmd = Command::new(if own.exists() {
            own
        } else {
            PathBuf::from(PSQL)
        });
        cmd.args([
            "-X",
            "-q",
            "-tA",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
        ])
        .arg("-p")
        .arg(self.port.to_string())
        .args(["-U", SUPERUSER, "-d", db]);
        cmd
    }

    /// A command for one of the server programs (`initdb`, `pg_ctl`), run as the `postgres`
    /// account when we are root. It runs inside the cluster directory because the `postgres`
    /// account may not be allowed into our current directory.
    fn server_command(&self, program: &str) -> Command {
        let program = self.bin_dir.join(program);
        let mut cmd = if sys::is_root() {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", SERVER_USER, "--"]).arg(program);
            cmd
        } else {
            Command::new(program)
        };
        if self.dir.is_dir() {
            cmd.current_dir(&self.dir);
        }
        cmd
    }
}

/// The `bin` directory of the newest PostgreSQL installed under `/usr/lib/postgresql`.
pub fn find_bin_dir() -> Result<PathBuf> {
    let entries = std::fs::read_dir(VERSIONS_DIR)
        .map_err(|err| format!("PostgreSQL is not installed ({VERSIONS_DIR}: {err})"))?;
    let versions: Vec<String> = entries
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().join("bin/initdb").is_file())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect();
    highest_version(versions.iter().map(String::as_str))
        .map(|version| Path::new(VERSIONS_DIR).join(version).join("bin"))
        .ok_or_else(|| format!("PostgreSQL is not installed (no {VERSIONS_DIR}/*/bin/initdb)"))
}

/// Picks the newest version among directory names such as `15`, `16` or `9.6`, comparing
/// numerically (so `16` beats `9.6`); names that are not versions are ignored.
fn highest_version<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    names
        .into_iter()
        .filter_map(|name| parse_version(name).map(|version| (version, name)))
        .max()
        .map(|(_, name)| name)
}

fn parse_version(name: &str) -> Option<Vec<u32>> {
    name.split('.').map(|part| part.parse().ok()).collect()
}

/// Reads the port from the contents of `postmaster.pid`, whose fourth line is the port.
fn port_from_pid_file(contents: &str) -> Option<u16> {
    contents.lines().nth(3)?.trim().parse().ok()
}

/// Adds "search" permission for others on `dir` if it lacks it, so the `postgres` account can
/// traverse it to reach a cluster below (e.g. a checkout under `/root`).
fn ensure_traversable(dir: &Path) -> Result {
    let meta = dir
        .metadata()
        .map_err(|err| format!("could not inspect {}: {err}", dir.display()))?;
    let mut permissions = meta.permissions();
    if permissions.mode() & 0o001 != 0 {
        return Ok(());
    }
    println!(
        "note: allowing other users to traverse {} so that PostgreSQL can reach its cluster",
        dir.display()
    );
    permissions.set_mode(permissions.mode() | 0o001);
    std::fs::set_permissions(dir, permissions)
        .map_err(|err| format!("could not make {} traversable: {err}", dir.display()))
}

/// The SQL creating [`ROLES`] if missing and (re)applying their attributes.
fn roles_sql() -> String {
    let mut sql = String::from("DO $$\nBEGIN\n");
    for role in ROLES {
        sql += &format!(
            "  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {}) THEN\n    \
             CREATE ROLE {} LOGIN PASSWORD {} {};\n  END IF;\n",
            quote_literal(role.name),
            quote_ident(role.name),
            quote_literal(role.password),
            role.attributes
        );
    }
    sql += "END\n$$;\n";
    for role in ROLES {
        sql += &format!(
            "ALTER ROLE {} LOGIN PASSWORD {} {};\n",
            quote_ident(role.name),
            quote_literal(role.password),
            role.attributes
        );
    }
    sql
}

/// Quotes an SQL identifier (table, role or database name).
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes an SQL string literal.
fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// Quotes a word for the shell that `pg_ctl` uses to launch the server with its `-o` options.
fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highest_version_compares_numerically() {
        assert_eq!(highest_version(["9.6", "15", "16", "13"]), Some("16"));
        assert_eq!(highest_version(["9.6", "10"]), Some("10"));
        assert_eq!(highest_version(["15", "README", "15.x"]), Some("15"));
        assert_eq!(highest_version(["README"]), None);
        assert_eq!(highest_version([]), None);
    }

    #[test]
    fn port_is_read_from_the_fourth_line_of_the_pid_file() {
        let pid_file = "1234\n/work/main/.data/pg/data\n1700000000\n54329\n/sock\n127.0.0.1\n";
        assert_eq!(port_from_pid_file(pid_file), Some(54329));
        assert_eq!(port_from_pid_file("1234\n"), None);
    }

    #[test]
    fn quoting_escapes_embedded_quotes() {
        assert_eq!(quote_ident("relais"), "\"relais\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(shell_quote("/a b/it's"), r"'/a b/it'\''s'");
    }

    #[test]
    fn roles_sql_creates_each_role_only_if_missing() {
        let sql = roles_sql();
        assert!(sql.contains("IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'relais_app')"));
        assert!(sql.contains("CREATE ROLE \"relais_owner\" LOGIN PASSWORD 'relais_owner' NOSUPERUSER BYPASSRLS CREATEDB;"));
        assert!(sql.contains(
            "ALTER ROLE \"relais_app\" LOGIN PASSWORD 'relais_app' NOSUPERUSER NOBYPASSRLS"
        ));
    }

    #[test]
    fn urls_embed_port_and_credentials() {
        let cluster = PgCluster {
            dir: PathBuf::from("/tmp/pg"),
            port: 5555,
            bin_dir: PathBuf::from("/usr/lib/postgresql/15/bin"),
        };
        assert_eq!(
            cluster.url(APP_ROLE, "relais"),
            "postgres://relais_app:relais_app@127.0.0.1:5555/relais"
        );
        assert_eq!(
            cluster.url(SUPERUSER, "postgres"),
            "postgres://postgres@127.0.0.1:5555/postgres"
        );
    }
}

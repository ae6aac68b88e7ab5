//! Where the tests find PostgreSQL: `DATABASE_URL`, else a server on localhost:5432, else a
//! throwaway cluster started from the installed PostgreSQL binaries.
//!
//! The throwaway cluster is shared by every test process of a run (nextest runs each test in its
//! own process): the first one starts it under a file lock, and a watchdog stops and removes it
//! once no test has used it for a minute.

use std::fs::{self, File};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

const LOCAL_SERVER: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const CLUSTER_PORT: u16 = 54329;

/// An admin URL for the test server (a database the tests may connect to and create others from).
pub fn server_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("DATABASE_URL") {
            return url;
        }
        if answers(5432) {
            return LOCAL_SERVER.to_owned();
        }
        throwaway_cluster()
    })
    .clone()
}

fn answers(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_ok()
}

fn throwaway_cluster() -> String {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pg-cluster");
    fs::create_dir_all(&dir).expect("create the cluster directory");
    let lock = File::create(dir.join("lock")).expect("create the lock file");
    lock.lock().expect("lock the cluster directory");
    let url = format!("postgres://postgres@127.0.0.1:{CLUSTER_PORT}/postgres");
    touch(&dir.join("heartbeat"));
    if !answers(CLUSTER_PORT) {
        start_cluster(&dir);
    }
    url
}

fn touch(path: &Path) {
    File::create(path).expect("touch the heartbeat file");
}

fn start_cluster(dir: &Path) {
    let bin = postgres_bin_dir().expect(
        "no PostgreSQL server answers on 127.0.0.1:5432 and no PostgreSQL binaries were found: \
         install PostgreSQL (e.g. apt-get install postgresql) or set DATABASE_URL",
    );
    let data = dir.join("data");
    let _ = fs::remove_dir_all(&data);
    // initdb and postgres refuse to run as root; the Debian packages' postgres user runs them then.
    let as_root = Command::new("id").arg("-u").output().map(|o| o.stdout == b"0\n").unwrap_or(false);
    if as_root {
        let _ = Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir).status();
    }
    let run = |program: &str, args: &[&str]| {
        let program = bin.join(program);
        let mut cmd = if as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        let status = cmd.args(args).status().expect("run a PostgreSQL binary");
        assert!(status.success(), "{} {args:?} failed", program.display());
    };
    let data_s = data.to_str().expect("utf-8 path");
    run("initdb", &["-D", data_s, "-U", "postgres", "--auth=trust", "-E", "UTF8"]);
    let opts = format!(
        "-p {CLUSTER_PORT} -k {} -c listen_addresses=127.0.0.1 -c max_connections=300",
        dir.display()
    );
    let log = dir.join("postgres.log");
    run("pg_ctl", &["-D", data_s, "-o", &opts, "-l", log.to_str().expect("utf-8"), "-w", "start"]);
    spawn_watchdog(dir, &bin, as_root);
}

fn postgres_bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> =
        fs::read_dir("/usr/lib/postgresql").ok()?.flatten().map(|e| e.path().join("bin")).collect();
    versions.sort();
    versions.into_iter().rev().find(|bin| bin.join("initdb").exists())
}

/// A detached shell loop: once the heartbeat is a minute old and no client is connected, it
/// stops the cluster and deletes its files.
fn spawn_watchdog(dir: &Path, bin: &Path, as_root: bool) {
    let pg_ctl = bin.join("pg_ctl");
    let stop = if as_root {
        format!("runuser -u postgres -- {} -D {}/data -m fast stop", pg_ctl.display(), dir.display())
    } else {
        format!("{} -D {}/data -m fast stop", pg_ctl.display(), dir.display())
    };
    let script = format!(
        "cd {dir} || exit 0; while :; do sleep 10; \
         age=$(( $(date +%s) - $(stat -c %Y heartbeat 2>/dev/null || echo 0) )); \
         clients=$({psql} -h 127.0.0.1 -p {CLUSTER_PORT} -U postgres -Atc \"select count(*) from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()\" postgres 2>/dev/null || echo 0); \
         if [ \"$age\" -gt 60 ] && [ \"$clients\" = 0 ]; then {stop}; rm -rf data; exit 0; fi; done",
        dir = dir.display(),
        psql = bin.join("psql").display(),
    );
    let _ = Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

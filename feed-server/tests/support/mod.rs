//! Runs the real `feed-server` binary on 127.0.0.1 with a system-chosen port.

#![allow(dead_code)]

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_feed-server");

/// A running server; killed when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    /// Its own data dir (notice store), unless the arguments name one.
    _data_dir: Option<tempfile::TempDir>,
}

impl Server {
    /// Starts `feed-server serve --listen 127.0.0.1:0 ARGS...` and waits for the
    /// "listening on" line. Panics with the server's stderr if it does not come.
    pub fn start(args: &[&str]) -> Server {
        Server::start_limited(args, None)
    }

    /// Like [`Server::start`], with the size of any file it writes limited to
    /// `file_kib` KiB (RLIMIT_FSIZE, SIGXFSZ ignored): a write past it fails as on
    /// a full disk.
    pub fn start_limited(args: &[&str], file_kib: Option<u64>) -> Server {
        match file_kib {
            None => Server::start_via(args, &[]),
            Some(kib) => Server::start_via(
                args,
                &[
                    "bash",
                    "-c",
                    &format!("trap '' XFSZ; ulimit -f {kib}; exec \"$0\" \"$@\""),
                ],
            ),
        }
    }

    /// Like [`Server::start`], the binary started through `prefix` (a program
    /// and its arguments that end by running `"$0" "$@"`).
    pub fn start_via(args: &[&str], prefix: &[&str]) -> Server {
        let data_dir =
            (!args.contains(&"--data-dir")).then(|| tempfile::tempdir().expect("data dir"));
        let mut command = match prefix.split_first() {
            None => Command::new(BIN),
            Some((program, rest)) => {
                let mut c = Command::new(program);
                c.args(rest).arg(BIN);
                c
            }
        };
        command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args);
        if let Some(dir) = &data_dir {
            command.arg("--data-dir").arg(dir.path());
        }
        let mut child = command
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start feed-server");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        if read.is_err() || !line.starts_with("listening on ") {
            let _ = child.kill();
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            panic!("feed-server did not start: stdout {line:?}, stderr:\n{err}");
        }
        let base = line.trim().trim_start_matches("listening on ").to_string();
        Server {
            child,
            base,
            _data_dir: data_dir,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, as a power cut would: no shutdown, no flush.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        // The server's own client: it installs the TLS crypto provider reqwest needs.
        feed_server::sources::http::client(Duration::from_secs(10))
            .expect("client")
            .get(self.url(path))
            .send()
            .await
            .expect("GET")
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        let body = response.json().await.expect("JSON body");
        (status, body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the binary to completion (for `check` and for start-up errors).
pub fn run(args: &[&str], cwd: &Path) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run feed-server");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The demo GTFS folder of the repository.
pub fn demo_gtfs() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/gtfs")
}

/// Copies the demo feed into `dir`, letting `edit` change files on the way.
pub fn demo_copy(dir: &Path, edit: impl Fn(&str, String) -> Option<String>) {
    std::fs::create_dir_all(dir).expect("mkdir");
    for entry in std::fs::read_dir(demo_gtfs()).expect("demo folder") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(entry.path()).expect("read");
        if let Some(text) = edit(&name, text) {
            std::fs::write(dir.join(&name), text).expect("write");
        }
    }
}

/// Zips every file of `dir` (flat) into an archive in memory.
pub fn zip_folder(dir: &Path) -> Vec<u8> {
    use std::io::Write as _;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        zip.start_file(name, options).expect("zip entry");
        zip.write_all(&std::fs::read(&path).expect("read"))
            .expect("zip write");
    }
    zip.finish().expect("zip").into_inner()
}

/// Writes a one-station config for a feed at `gtfs` and returns its path.
pub fn config_for(dir: &Path, gtfs: &str, stops: &str) -> std::path::PathBuf {
    let path = dir.join("station.toml");
    std::fs::write(
        &path,
        format!(
            "[[feeds]]\nid = \"net\"\ngtfs = \"{gtfs}\"\ntimeout_s = 3\nmax_mb = 1\n\n\
             [[stations]]\nid = \"caudry\"\nname = \"Caudry\"\nstops = {{ net = [{stops}] }}\n"
        ),
    )
    .expect("write config");
    path
}

/// Waits until `f` returns true or `timeout` passes.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// A demo deployment with a notice store in `dir`: the data dir, a configuration
/// without the notice rate limit, and the token of an operator of Caudry.
pub struct Store {
    pub data: String,
    pub config: String,
    pub token: String,
}

pub fn demo_store(dir: &Path) -> Store {
    let data = dir.join("data").to_str().expect("path").to_string();
    let config = dir.join("demo.toml");
    std::fs::write(
        &config,
        format!(
            "{}\n[notices]\nwrites_per_minute = 1000000\n",
            include_str!("../../demo/caudry.toml")
        ),
    )
    .expect("config");
    let (ok, token, err) = run(
        &[
            "operator",
            "add",
            "ops",
            "--scope",
            "station:caudry",
            "--data-dir",
            &data,
        ],
        dir,
    );
    assert!(ok, "{err}");
    Store {
        data,
        config: config.to_str().expect("path").to_string(),
        token: token.trim().to_string(),
    }
}

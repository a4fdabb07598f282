//! The real `feed-server` binary, run on 127.0.0.1 with a system-chosen port
//! ([`Binary::start`]) or to completion ([`Binary::run`]), and the files its tests
//! make: copies of the demo feed, zips, one-station configurations, a notice store.
//!
//! Only feed-server's own tests know where the binary is
//! (`env!("CARGO_BIN_EXE_feed-server")`): they pass it to [`Binary::new`].

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::http::Api;

/// The feed-server binary at a path.
#[derive(Debug, Clone)]
pub struct Binary {
    path: PathBuf,
    /// `RUST_LOG` for the runs (`warn` unless [`Binary::logging`] says).
    log: String,
}

/// What a run to completion gave: success, stdout, stderr.
#[derive(Debug, Clone)]
pub struct Output {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

/// A running server; killed when dropped. Derefs to its [`Api`].
pub struct Server {
    child: Child,
    api: Api,
    /// Its own data dir (notice store), unless the arguments name one.
    _data_dir: Option<tempfile::TempDir>,
    /// Everything it wrote to stderr so far (read by a thread, so that a
    /// chatty server never blocks on a full pipe).
    stderr: Arc<Mutex<String>>,
}

impl Binary {
    pub fn new(path: impl Into<PathBuf>) -> Binary {
        Binary {
            path: path.into(),
            log: "warn".into(),
        }
    }

    /// The same binary run with `RUST_LOG=filter`.
    pub fn logging(mut self, filter: &str) -> Binary {
        self.log = filter.into();
        self
    }

    /// Starts `feed-server serve --listen 127.0.0.1:0 ARGS...` and waits for the
    /// "listening on" line. Panics with the server's stderr if it does not come.
    pub fn start(&self, args: &[&str]) -> Server {
        self.start_limited(args, None)
    }

    /// Like [`Binary::start`], with the size of any file it writes limited to
    /// `file_kib` KiB (RLIMIT_FSIZE, SIGXFSZ ignored): a write past it fails as on
    /// a full disk.
    pub fn start_limited(&self, args: &[&str], file_kib: Option<u64>) -> Server {
        match file_kib {
            None => self.start_via(args, &[]),
            Some(kib) => self.start_via(
                args,
                &[
                    "bash",
                    "-c",
                    &format!("trap '' XFSZ; ulimit -f {kib}; exec \"$0\" \"$@\""),
                ],
            ),
        }
    }

    /// Like [`Binary::start`], the binary started through `prefix` (a program
    /// and its arguments that end by running `"$0" "$@"`).
    pub fn start_via(&self, args: &[&str], prefix: &[&str]) -> Server {
        let data_dir =
            (!args.contains(&"--data-dir")).then(|| tempfile::tempdir().expect("data dir"));
        let mut command = match prefix.split_first() {
            None => Command::new(&self.path),
            Some((program, rest)) => {
                let mut c = Command::new(program);
                c.args(rest).arg(&self.path);
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
            .env("RUST_LOG", &self.log)
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
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(pipe) = child.stderr.take() {
            let stderr = stderr.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if let Ok(mut s) = stderr.lock() {
                        s.push_str(&line);
                        s.push('\n');
                    }
                }
            });
        }
        Server {
            child,
            api: Api::new(base),
            _data_dir: data_dir,
            stderr,
        }
    }

    /// Runs the binary to completion in `cwd` (for `check`, `operator` and
    /// start-up errors).
    pub fn run(&self, args: &[&str], cwd: &Path) -> Output {
        let out = Command::new(&self.path)
            .args(args)
            .current_dir(cwd)
            .env("RUST_LOG", &self.log)
            .stdin(Stdio::null())
            .output()
            .expect("run feed-server");
        Output {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// [`Binary::run`] off the async runtime's threads (for a run that waits on a
    /// server of the same test).
    pub async fn run_blocking(&self, args: &[&str], cwd: &Path) -> Output {
        let (binary, cwd) = (self.clone(), cwd.to_path_buf());
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            binary.run(&args, &cwd)
        })
        .await
        .expect("join")
    }

    /// A demo deployment with a notice store in `dir`: the data dir, a
    /// configuration without the notice rate limit, and the token of an operator
    /// of Caudry.
    pub fn demo_store(&self, dir: &Path) -> Store {
        let data = dir.join("data").to_str().expect("path").to_string();
        let config = dir.join("demo.toml");
        std::fs::write(
            &config,
            format!(
                "{}\n[notices]\nwrites_per_minute = 1000000\n",
                include_str!("../../feed-server/demo/caudry.toml")
            ),
        )
        .expect("config");
        let out = self.run(
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
        assert!(out.ok, "{}", out.stderr);
        Store {
            data,
            config: config.to_str().expect("path").to_string(),
            token: out.stdout.trim().to_string(),
        }
    }
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its resident memory now, in KiB (`VmRSS`).
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.pid()).expect("the server's VmRSS")
    }

    /// What it has written to stderr so far (its log).
    pub fn logs(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// SIGTERM, as systemd stops a service; waits up to `timeout` for the
    /// process to end and says whether it exited with status 0 (None if it
    /// was still running).
    pub fn terminate(&mut self, timeout: Duration) -> Option<bool> {
        let sent = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {}", self.pid());
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status.success());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// SIGKILL, as a power cut would: no shutdown, no flush.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl std::ops::Deref for Server {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The resident memory of process `pid` in KiB (`VmRSS` of /proc), if it runs.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The CPU time process `pid` has used so far (user and system), in seconds
/// (`/proc/PID/stat`, in clock ticks of 1/100 s, Linux's USER_HZ).
pub fn cpu_s(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which may hold spaces: state is the
    // first, utime the 12th, stime the 13th.
    let rest = stat.rsplit_once(')')?.1;
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some((user + system) as f64 / 100.0)
}

/// A demo deployment with a notice store ([`Binary::demo_store`]).
pub struct Store {
    pub data: String,
    pub config: String,
    pub token: String,
}

/// The demo GTFS folder of the repository.
pub fn demo_gtfs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../feed-server/demo/gtfs")
}

/// Copies the demo feed into `dir`, letting `edit` change files on the way
/// (`None`: the file is left out).
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
pub fn config_for(dir: &Path, gtfs: &str, stops: &str) -> PathBuf {
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

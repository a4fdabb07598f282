//! Quai's Debian packages under test: built with cargo-deb from binaries the
//! test suite already built ([`build`]), read with dpkg-deb ([`field`],
//! [`contents`]), and installed with dpkg in a throwaway root ([`Throwaway`]):
//! an overlay of this machine's `/` in a mount namespace of its own, so that
//! installing, creating users, enabling units and purging never touch the
//! machine.
//!
//! `scripts/package.sh` makes the release packages the same way from release
//! binaries; the packages built here hold the test build (unoptimised), which
//! is what the packaging has to prove right: files, units, users, conffiles,
//! maintainer scripts, and that what is installed runs.

use std::io::{BufRead as _, BufReader};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The workspace root (where `cargo deb` finds the packages' metadata).
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace above tests/")
        .to_path_buf()
}

/// Builds the Debian package of the cargo package `package` around `binary`
/// (its `[[bin]]` named `bin`) into `out`, and returns the `.deb`'s path.
///
/// cargo-deb packs `target/release/BIN`; it is given a target dir of its own
/// where that name leads to `binary`, so nothing is built again and the real
/// target dir is left alone.
pub fn build(package: &str, bin: &str, binary: &Path, out: &Path) -> PathBuf {
    let target = tempfile::tempdir().expect("a target dir for cargo-deb");
    let release = target.path().join("release");
    std::fs::create_dir_all(&release).expect("target/release");
    std::os::unix::fs::symlink(binary, release.join(bin)).expect("link the binary");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let run = Command::new(cargo)
        .args([
            "deb",
            "-p",
            package,
            "--no-build",
            "--fast",
            "--quiet",
            "-o",
        ])
        .arg(out)
        .current_dir(workspace())
        .env("CARGO_TARGET_DIR", target.path())
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo deb ({e})"));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "cargo deb -p {package} failed (scripts/deps.sh test installs cargo-deb):\n{stderr}"
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    let deb = stdout
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.ends_with(".deb"))
        .unwrap_or_else(|| panic!("cargo deb named no .deb: {stdout}\n{stderr}"));
    PathBuf::from(deb)
}

/// A control field of `deb` (`Depends`, `Package`, …), as dpkg-deb reads it.
pub fn field(deb: &Path, name: &str) -> String {
    let out = Command::new("dpkg-deb")
        .arg("--field")
        .arg(deb)
        .arg(name)
        .output()
        .expect("run dpkg-deb");
    assert!(out.status.success(), "dpkg-deb --field {name}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Every path in `deb` (`/usr/bin/quai-feed-server`, …) with its mode, as
/// `(path, mode)` (`-rwxr-xr-x`).
pub fn contents(deb: &Path) -> Vec<(String, String)> {
    let out = Command::new("dpkg-deb")
        .arg("--contents")
        .arg(deb)
        .output()
        .expect("run dpkg-deb");
    assert!(out.status.success(), "dpkg-deb --contents");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mode = l.split_whitespace().next()?.to_string();
            let path = l.split_whitespace().last()?;
            Some((path.trim_start_matches('.').to_string(), mode))
        })
        .collect()
}

/// A file of `deb`'s control archive (`postinst`, `conffiles`, …).
pub fn control_file(deb: &Path, name: &str) -> String {
    let out = Command::new("dpkg-deb")
        .arg("--ctrl-tarfile")
        .arg(deb)
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|child| {
            Command::new("tar")
                .args(["-xO", &format!("./{name}")])
                .stdin(child.stdout.expect("dpkg-deb's output"))
                .output()
        })
        .expect("run dpkg-deb and tar");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Why packages cannot be installed in a throwaway root here, if they cannot:
/// it takes root with the right to mount (not so in some containers), and
/// `/usr` and `/var` on the root file system (the overlay covers that one).
pub fn cannot_install() -> Option<String> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Some(
            "installing in a throwaway root needs root (mount, chroot, dpkg); run the tests as root, as CI does"
                .into(),
        );
    }
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    if let Some(separate) = mounts
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .find(|m| ["/usr", "/var", "/etc"].contains(m))
    {
        return Some(format!(
            "{separate} is a file system of its own: an overlay of / would not hold it"
        ));
    }
    let probe = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "true"])
        .status();
    match probe {
        Ok(s) if s.success() => None,
        Ok(s) => Some(format!(
            "root here may not make a mount namespace (unshare --mount: {s})"
        )),
        Err(e) => Some(format!("cannot run unshare: {e}")),
    }
}

/// A script running as root in a throwaway copy of this machine's root with
/// packages to install in `/tmp/debs/`; its `/run/quai-test` is [`Throwaway::shared`]
/// here. Every line it prints comes on [`Throwaway::line`]. Killed when dropped.
pub struct Throwaway {
    child: Child,
    work: tempfile::TempDir,
    lines: mpsc::Receiver<String>,
    /// Everything printed so far (for failure messages).
    pub log: Vec<String>,
}

/// A throwaway root being prepared: its packages copied, its shared folder
/// made (for sockets to bind before the script starts).
pub struct Prepared {
    work: tempfile::TempDir,
}

impl Prepared {
    /// Where the root's `/run/quai-test` will be, seen from here.
    pub fn shared(&self) -> PathBuf {
        self.work.path().join("shared")
    }

    /// Starts `inside` (a bash script) in the throwaway root.
    pub fn start(self, inside: &str) -> Throwaway {
        let work = self.work;
        // dpkg wants the sbin folders on the PATH, whatever the caller's.
        let inside = format!(
            "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n{inside}"
        );
        std::fs::write(work.path().join("inside.sh"), inside).expect("inside.sh");
        let script = work.path().join("throwaway_root.sh");
        std::fs::write(&script, include_str!("throwaway_root.sh")).expect("throwaway_root.sh");
        let mut child = Command::new("unshare")
            // Its own process group: dropped, everything it started goes too.
            .process_group(0)
            .args(["--mount", "--propagation", "private", "bash"])
            .arg(&script)
            .arg(work.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run unshare ({e})"));
        let (send, lines) = mpsc::channel();
        for pipe in [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let send = send.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if send.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Throwaway {
            child,
            work,
            lines,
            log: Vec::new(),
        }
    }
}

impl Throwaway {
    /// A throwaway root to hold `debs` (in its `/tmp/debs/`), not started yet.
    pub fn prepare(debs: &[PathBuf]) -> Prepared {
        let work = tempfile::tempdir().expect("work dir");
        let (debs_dir, shared) = (work.path().join("debs"), work.path().join("shared"));
        std::fs::create_dir_all(&debs_dir).expect("debs/");
        std::fs::create_dir_all(&shared).expect("shared/");
        // Any user of the root (quai, quai-screen) may write there.
        std::fs::set_permissions(
            &shared,
            std::os::unix::fs::PermissionsExt::from_mode(0o1777),
        )
        .expect("chmod shared/");
        for deb in debs {
            let name = deb.file_name().expect("a .deb file name");
            std::fs::copy(deb, debs_dir.join(name)).expect("copy the .deb");
        }
        Prepared { work }
    }

    /// Where the root's `/run/quai-test` is, seen from here.
    pub fn shared(&self) -> PathBuf {
        self.work.path().join("shared")
    }

    /// The next line the script prints within `timeout`; None once it ended
    /// or the time is up.
    pub fn line(&mut self, timeout: Duration) -> Option<String> {
        let line = self.lines.recv_timeout(timeout).ok()?;
        self.log.push(line.clone());
        Some(line)
    }

    /// The value of the next `FACT name value` line, reading on for up to
    /// `timeout`; panics with everything printed when it does not come.
    pub fn fact(&mut self, name: &str, timeout: Duration) -> String {
        let deadline = std::time::Instant::now() + timeout;
        let prefix = format!("FACT {name} ");
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.line(left) {
                Some(line) => {
                    if let Some(value) = line.strip_prefix(&prefix) {
                        return value.to_string();
                    }
                    if line == format!("FACT {name}") {
                        return String::new();
                    }
                }
                None => break,
            }
        }
        panic!(
            "the throwaway root never said FACT {name}; it printed:\n{}",
            self.log.join("\n")
        );
    }

    /// Waits for the script to end; its exit status was 0.
    pub fn finished(&mut self, timeout: Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            // Keep the log whole.
            while let Ok(line) = self.lines.try_recv() {
                self.log.push(line);
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(100)) {
                    self.log.push(line);
                }
                return status.success();
            }
            if std::time::Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Throwaway {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

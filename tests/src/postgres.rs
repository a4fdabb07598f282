//! A real PostgreSQL server (Debian's `postgresql`, installed by
//! scripts/deps.sh test) on 127.0.0.1 at a free port, its cluster made by
//! `initdb` in a temporary folder; stopped when dropped. PostgreSQL refuses
//! to run as root: as root, the cluster belongs to the `postgres` user (or
//! `nobody`) and both programs run as that user.

use std::io::{BufRead as _, BufReader};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub struct Postgres {
    child: Option<Child>,
    /// `postgres://quai@127.0.0.1:PORT/postgres`.
    pub url: String,
    port: u16,
    bin: PathBuf,
    /// Who runs it: None for the current user.
    user: Option<(u32, u32)>,
    dir: tempfile::TempDir,
    /// With TLS ([`Postgres::start_tls`]): the server's certificate and key.
    tls: Option<(PathBuf, PathBuf)>,
}

/// The folder of `initdb` and `postgres`: the newest under
/// /usr/lib/postgresql, else the PATH's.
fn bin_dir() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse().ok()?;
            Some((v, e.path().join("bin")))
        })
        .filter(|(_, bin)| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .or_else(|| {
            let out = Command::new("sh")
                .args(["-c", "command -v initdb"])
                .output()
                .ok()?;
            let path = String::from_utf8(out.stdout).ok()?;
            Path::new(path.trim()).parent().map(Path::to_path_buf)
        })
        .unwrap_or_else(|| panic!("no initdb: scripts/deps.sh test installs postgresql"))
}

/// The uid and gid of `name` in /etc/passwd.
fn account(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.first() == Some(&name))
            .then(|| Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?)))?
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Postgres {
    /// Makes a cluster and starts it; waits until it takes connections.
    pub fn start() -> Postgres {
        let bin = bin_dir();
        let dir = tempfile::tempdir().expect("a folder for PostgreSQL");
        // /proc/self belongs to the process's effective user.
        let root = std::os::unix::fs::MetadataExt::uid(
            &std::fs::metadata("/proc/self").expect("/proc/self"),
        ) == 0;
        let user = if root {
            let (uid, gid) = account("postgres")
                .or_else(|| account("nobody"))
                .expect("a user to run PostgreSQL as");
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown");
            Some((uid, gid))
        } else {
            None
        };
        let mut initdb = Command::new(bin.join("initdb"));
        initdb
            .args([
                "--username",
                "quai",
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
            ])
            .args(["--locale", "C", "--no-sync", "--pgdata"])
            .arg(dir.path().join("data"))
            .current_dir(dir.path())
            .stdin(Stdio::null());
        if let Some((uid, gid)) = user {
            initdb.uid(uid).gid(gid);
        }
        let out = initdb.output().unwrap_or_else(|e| {
            panic!("cannot run initdb ({e}): scripts/deps.sh test installs postgresql")
        });
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let mut pg = Postgres {
            child: None,
            url: format!("postgres://quai@127.0.0.1:{port}/postgres"),
            port,
            bin,
            user,
            dir,
            tls: None,
        };
        pg.start_again();
        pg
    }

    /// The same with TLS: a certificate authority of its own
    /// ([`Postgres::ca_file`]) signs the server's certificate for
    /// 127.0.0.1 (`openssl`), and the server takes TLS connections only.
    pub fn start_tls() -> Postgres {
        let mut pg = Postgres::start();
        pg.stop();
        let dir = pg.dir.path().to_path_buf();
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(&dir)
                .stdin(Stdio::null())
                .output()
                .unwrap_or_else(|e| panic!("cannot run openssl ({e})"));
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        openssl(
            &[
                &["req", "-x509"][..],
                &ec,
                &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2"],
                &["-subj", "/CN=Quai test CA"],
                &["-addext", "basicConstraints=critical,CA:TRUE"],
                &["-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            ]
            .concat(),
        );
        openssl(
            &[
                &["req"][..],
                &ec,
                &[
                    "-keyout",
                    "server.key",
                    "-out",
                    "server.csr",
                    "-subj",
                    "/CN=127.0.0.1",
                ],
            ]
            .concat(),
        );
        std::fs::write(
            dir.join("server.ext"),
            "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
        )
        .expect("server.ext");
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ]);
        let (cert, key) = (dir.join("server.pem"), dir.join("server.key"));
        // The key: the server's user's alone, or PostgreSQL refuses it.
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        if let Some((uid, gid)) = pg.user {
            for file in [&cert, &key] {
                std::os::unix::fs::chown(file, Some(uid), Some(gid)).expect("chown");
            }
        }
        // TLS connections only.
        std::fs::write(
            dir.join("data").join("pg_hba.conf"),
            "hostssl all all 127.0.0.1/32 trust\n",
        )
        .expect("pg_hba.conf");
        pg.tls = Some((cert, key));
        pg.start_again();
        pg
    }

    /// The certificate authority of a server started with
    /// [`Postgres::start_tls`].
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// Stops it (fast shutdown: sessions are cut, nothing committed is lost)
    /// and leaves it down until [`Postgres::start_again`].
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let asked = Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status()
                .is_ok_and(|s| s.success());
            // A fast shutdown takes a moment; past 30 s (or without `kill`),
            // SIGKILL: PostgreSQL recovers from its log at the next start.
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            while asked && std::time::Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it on its cluster and port; waits until it takes connections.
    pub fn start_again(&mut self) {
        let mut command = Command::new(self.bin.join("postgres"));
        command
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-p", &self.port.to_string()])
            // TCP only: no socket file, whose path could be too long or in
            // a folder the server's user cannot enter.
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "unix_socket_directories=",
            ])
            .args(["-c", "logging_collector=off"]);
        if let Some((cert, key)) = &self.tls {
            command
                .args(["-c", "ssl=on", "-c"])
                .arg(format!("ssl_cert_file={}", cert.display()));
            command
                .arg("-c")
                .arg(format!("ssl_key_file={}", key.display()));
        }
        command
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some((uid, gid)) = self.user {
            command.uid(uid).gid(gid);
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start postgres ({e})"));
        let (send, lines) = mpsc::channel();
        let stderr = child.stderr.take().expect("postgres's log");
        std::thread::spawn(move || {
            // Read to the end, so that the server never writes to a closed pipe.
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = send.send(line);
            }
        });
        let mut log = Vec::new();
        while let Ok(line) = lines.recv_timeout(Duration::from_secs(30)) {
            let ready = line.contains("ready to accept connections");
            log.push(line);
            if ready {
                self.child = Some(child);
                return;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("postgres did not start:\n{}", log.join("\n"));
    }
}

impl Postgres {
    /// The rows `sql` gives, as `psql -tA` prints them (fields split by
    /// `|`), trimmed.
    pub fn query(&self, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args(["--no-psqlrc", "-tA", "-d", &self.url, "-c", sql])
            .stdin(Stdio::null())
            .output()
            .expect("psql");
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

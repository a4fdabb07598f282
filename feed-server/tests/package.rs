//! The Debian package `quai-feed-server` (docs/deployment.md): built with
//! cargo-deb, read with dpkg-deb, its unit checked by `systemd-analyze
//! verify`, then installed with dpkg in a throwaway root (an overlay of this
//! machine, see `quai_tests::package`) where the installed server is started
//! as its unit starts it — the unit's own command line, as the user the
//! package made, on the configuration it installed, with the unit's watchdog
//! — and must say READY to a notify socket, serve a board, stop cleanly on
//! SIGTERM, and go on purge.

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use quai_tests::http::Api;
use quai_tests::package::{self, Throwaway};

const INSIDE: &str = r#"
set -uo pipefail
fact() { echo "FACT $*"; }
dpkg -i /tmp/debs/*.deb
fact installed $?
fact status "$(dpkg-query -W -f='${Status}' quai-feed-server)"
fact user "$(getent passwd quai)"
fact config "$(stat -c '%a %U %G' /etc/quai/feed-server.toml)"
fact enabled "$(readlink /etc/systemd/system/multi-user.target.wants/quai-feed-server.service)"
unit=/usr/lib/systemd/system/quai-feed-server.service
verify=$(systemd-analyze verify "$unit" 2>&1)
fact verify "$?${verify:+ $verify}"
# As systemd-tmpfiles does at boot.
systemd-tmpfiles --create quai-feed-server.conf
fact data_dir "$(stat -c '%U %a' /var/lib/quai)"
# The installer's guide's commands (docs/deployment.md, « The feed server »).
runuser -u quai -- quai-feed-server check --config /etc/quai/feed-server.toml > /run/quai-test/check.out 2>&1
fact check $?
token=$(runuser -u quai -- quai-feed-server operator add ecran-hall-1 --scope screen:hall-1 --config /etc/quai/feed-server.toml 2>/dev/null)
fact token "${token:0:5}"
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
watchdog_s=$(sed -n 's/^WatchdogSec=//p' "$unit")
fact exec_start "$exec_start"
cd /var/lib/quai
# The unit's command, user and watchdog; --listen 127.0.0.1:0 only so that
# tests running side by side never fight over the configured port.
setpriv --reuid quai --regid quai --init-groups \
  env NOTIFY_SOCKET=/run/quai-test/notify.sock WATCHDOG_USEC=$((watchdog_s * 1000000)) RUST_LOG=info \
  $exec_start --listen 127.0.0.1:0 > /run/quai-test/server.out 2> /run/quai-test/server.err &
server=$!
trap 'kill -KILL $server 2>/dev/null' EXIT
for _ in $(seq 1 300); do
  grep -q '^listening on ' /run/quai-test/server.out 2>/dev/null && break
  kill -0 $server 2>/dev/null || break
  sleep 0.1
done
fact listening "$(sed -n 's/^listening on //p' /run/quai-test/server.out)"
fact server_user "$(stat -c %U /proc/$server)"
# The test asks for a board, then says stop.
for _ in $(seq 1 600); do [ -e /run/quai-test/stop ] && break; sleep 0.1; done
kill -TERM $server
wait $server
fact exit $?
fact store "$(ls /var/lib/quai)"
dpkg --purge quai-feed-server > /dev/null
fact purged $?
fact left "$(ls /usr/bin/quai-feed-server /etc/quai/feed-server.toml /usr/lib/systemd/system/quai-feed-server.service 2>/dev/null)"
fact log_errors "$(grep -c ' ERROR ' /run/quai-test/server.err)"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_package_installs_runs_as_its_unit_says_and_purges() {
    let out = tempfile::tempdir().expect("tempdir");
    let deb = package::build(
        "feed-server",
        "feed-server",
        env!("CARGO_BIN_EXE_feed-server").as_ref(),
        out.path(),
    );

    // What dpkg-deb reads in it.
    assert_eq!(package::field(&deb, "Package"), "quai-feed-server");
    assert!(
        ["libc6", "ca-certificates", "systemd-sysusers"]
            .iter()
            .all(|d| package::field(&deb, "Depends").contains(d)),
        "Depends: {}",
        package::field(&deb, "Depends")
    );
    let files = package::contents(&deb);
    for (path, mode) in [
        ("/usr/bin/quai-feed-server", "-rwxr-xr-x"),
        ("/etc/quai/feed-server.toml", "-rw-r--r--"),
        (
            "/usr/lib/systemd/system/quai-feed-server.service",
            "-rw-r--r--",
        ),
        ("/usr/lib/sysusers.d/quai-feed-server.conf", "-rw-r--r--"),
        ("/usr/lib/tmpfiles.d/quai-feed-server.conf", "-rw-r--r--"),
        (
            "/usr/share/doc/quai-feed-server/deployment.md",
            "-rw-r--r--",
        ),
        ("/usr/share/doc/quai-feed-server/copyright", "-rw-r--r--"),
    ] {
        assert!(
            files.iter().any(|(p, m)| p == path && m == mode),
            "{path} ({mode}) not in the package: {files:?}"
        );
    }
    assert_eq!(
        package::control_file(&deb, "conffiles").trim(),
        "/etc/quai/feed-server.toml"
    );
    let postinst = package::control_file(&deb, "postinst");
    assert!(postinst.contains("systemd-sysusers"), "{postinst}");
    assert!(postinst.contains("quai-feed-server.service"), "{postinst}");

    if let Some(why) = package::cannot_install() {
        eprintln!("NOT RUN: the install in a throwaway root: {why}");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let prepared = Throwaway::prepare(&[deb]);
    // systemd's side of the notify socket, seen from the root at /run/quai-test.
    let socket = prepared.shared().join("notify.sock");
    let notify = UnixDatagram::bind(&socket).expect("notify socket");
    std::fs::set_permissions(&socket, std::os::unix::fs::PermissionsExt::from_mode(0o666))
        .expect("chmod notify.sock");
    let mut root = prepared.start(INSIDE);
    let long = Duration::from_secs(60);
    assert_eq!(root.fact("installed", long), "0", "{}", root.log.join("\n"));
    assert_eq!(root.fact("status", long), "install ok installed");
    let user = root.fact("user", long);
    assert!(
        user.starts_with("quai:x:") && user.ends_with(":/var/lib/quai:/usr/sbin/nologin"),
        "{user}"
    );
    // It may hold feeds' API keys: root and the server only.
    assert_eq!(root.fact("config", long), "640 root quai");
    assert!(
        root.fact("enabled", long)
            .ends_with("/quai-feed-server.service")
    );
    assert_eq!(
        root.fact("verify", long),
        "0",
        "systemd-analyze verify said more"
    );
    assert_eq!(root.fact("data_dir", long), "quai 750");
    assert_eq!(
        root.fact("check", long),
        "0",
        "{}",
        std::fs::read_to_string(root.shared().join("check.out")).unwrap_or_default()
    );
    assert_eq!(
        root.fact("token", long),
        "quai_",
        "operator add printed no token"
    );
    assert_eq!(
        root.fact("exec_start", long),
        "/usr/bin/quai-feed-server serve --config /etc/quai/feed-server.toml"
    );
    let base = root.fact("listening", long);
    assert!(
        base.starts_with("http://127.0.0.1:"),
        "the installed server did not start: {base:?}\n{}\n{}",
        root.log.join("\n"),
        std::fs::read_to_string(root.shared().join("server.err")).unwrap_or_default()
    );
    assert_eq!(root.fact("server_user", long), "quai");

    // Ready, as systemd would be told, once it serves (a watchdog ping may
    // come first).
    notify
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut buf = [0u8; 4096];
    let mut told = Vec::new();
    while !told
        .iter()
        .any(|m: &String| m.lines().any(|l| l == "READY=1"))
    {
        let n = notify
            .recv(&mut buf)
            .unwrap_or_else(|e| panic!("no READY=1 from the installed server ({e}): {told:?}"));
        told.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    let api = Api::new(base);
    let board: serde_json::Value = api.get("/v1/stations/caudry/board", 200).await;
    assert_eq!(board["station"]["id"], "caudry");
    // The unit runs on the real clock: by day the demo's board has
    // departures; in the night gap (from about 22:00, Paris) it has none
    // and says when service resumes.
    assert!(
        board["departures"]
            .as_array()
            .is_some_and(|d| !d.is_empty())
            || board["next_service"].is_string(),
        "the packaged configuration's board has departures, or says when service resumes: {board}"
    );

    std::fs::write(root.shared().join("stop"), b"").expect("say stop");
    assert_eq!(root.fact("exit", long), "0", "SIGTERM: a clean exit");
    told.clear();
    notify
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    while let Ok(n) = notify.recv(&mut buf) {
        told.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    assert!(
        told.iter().any(|m| m.lines().any(|l| l == "STOPPING=1")),
        "{told:?}"
    );
    // Its store went where the configuration says.
    let store = root.fact("store", long);
    assert!(store.contains("quai.db"), "{store}");
    assert_eq!(root.fact("purged", long), "0");
    assert_eq!(root.fact("left", long), "", "files left after purge");
    assert_eq!(root.fact("log_errors", long), "0");
    assert!(root.finished(long), "{}", root.log.join("\n"));
    drop(dir);
}

//! A headless screen left running on a stream (`display-client --headless
//! --keep-running`, the hall layout): it rewrites its picture and the texts on it
//! (`--dump-text`, as JSON) at each change, so a test or a drill can watch what a
//! passenger would read. Killed when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The status line while the board is live.
pub const LIVE: &str = "●";
/// The status line while the times are not live (hall layout, in French).
pub const NOT_LIVE: &str = "Horaires théoriques – information en direct indisponible";

/// The screen did not show what was awaited: what it showed, or why it stopped.
#[derive(Debug)]
pub struct NotShown(pub String);

impl std::fmt::Display for NotShown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotShown {}

pub struct Screen {
    child: Child,
    texts: PathBuf,
    log: PathBuf,
}

impl Screen {
    /// Starts `bin` (a display-client) on `stream_url` for the station `caudry`,
    /// with its picture, texts, kept board and log in `dir`.
    pub fn start(bin: &Path, stream_url: &str, dir: &Path) -> std::io::Result<Screen> {
        let texts = dir.join("screen.json");
        let log = dir.join("screen.log");
        let child = command(
            bin,
            stream_url,
            &layout("hall-1080p.ron"),
            &dir.join("screen.png"),
            &texts,
            &dir.join("screen-state"),
        )
        .args(["--headless", "--keep-running", "--wait-for", "nothing"])
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(&log)?))
        .spawn()?;
        Ok(Screen { child, texts, log })
    }

    /// The (region, text) pairs on the screen now, if its texts read.
    pub fn texts(&self) -> Option<Vec<(String, String)>> {
        read_texts(&self.texts)
    }

    /// The status line on the screen now.
    pub fn status(&self) -> Option<String> {
        self.texts()?
            .into_iter()
            .find(|(region, _)| region == "status")
            .map(|(_, text)| text)
    }

    /// Waits up to `limit` for the status line to read `want`; the texts then on
    /// screen. The error says what the screen read last, or that it exited, with
    /// the end of its log.
    pub async fn until(
        &mut self,
        want: &str,
        limit: Duration,
    ) -> Result<Vec<(String, String)>, NotShown> {
        let began = Instant::now();
        let mut last = None;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(NotShown(format!(
                    "the screen exited ({status}) while waiting for {want:?}; its log ends:\n{}",
                    self.log_tail()
                )));
            }
            if let Some(texts) = self.texts() {
                if texts.iter().any(|(r, t)| r == "status" && t == want) {
                    return Ok(texts);
                }
                last = Some(texts);
            }
            if began.elapsed() > limit {
                return Err(NotShown(format!(
                    "the screen never read {want:?} in {} s; last: {last:?}",
                    limit.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A layout of the repository's `layouts/` (a path: that file).
pub fn layout(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../layouts")
        .join(name)
}

/// `bin` (a display-client) showing station `caudry` from `stream_url` with
/// `layout`: its picture to `png`, its texts to `texts` (`--dump-text`), its kept
/// board under `state_dir`. The caller adds the mode (`--headless`...) and runs it.
pub fn command(
    bin: &Path,
    stream_url: &str,
    layout: &Path,
    png: &Path,
    texts: &Path,
    state_dir: &Path,
) -> Command {
    let mut command = Command::new(bin);
    command
        .args(["--station", "caudry", "--server", stream_url])
        .arg("--layout")
        .arg(layout)
        .arg("--screenshot")
        .arg(png)
        .arg("--dump-text")
        .arg(texts)
        .arg("--state-dir")
        .arg(state_dir)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir());
    command
}

/// A `--dump-text` file.
#[derive(serde::Deserialize)]
struct Dump {
    texts: Vec<Text>,
}

#[derive(serde::Deserialize)]
struct Text {
    #[serde(default)]
    region: String,
    #[serde(default)]
    text: String,
}

/// The (region, text) pairs of a `--dump-text` file, if it reads.
pub fn read_texts(json: &Path) -> Option<Vec<(String, String)>> {
    let dump: Dump = serde_json::from_str(&std::fs::read_to_string(json).ok()?).ok()?;
    Some(dump.texts.into_iter().map(|t| (t.region, t.text)).collect())
}

//! The last board, kept on disk, so that a screen restarted while the server is
//! unreachable shows what it last knew (marked as not live) instead of nothing.
//!
//! Written by the network thread, atomically (a temporary file renamed over the
//! old one, so a power cut leaves either the old board or the new one), at most
//! every [`MIN_INTERVAL`] to spare the signage PC's flash storage.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use quai_protocol::Board;

/// How often the kept board is rewritten at most.
pub const MIN_INTERVAL: Duration = Duration::from_secs(15);

/// Where one station's board is kept.
#[derive(Debug, Clone)]
pub struct KeptBoard {
    path: PathBuf,
    last_write: Option<Instant>,
    /// The takeover of the board last written.
    emergency: Option<String>,
}

impl KeptBoard {
    /// `DIR/board-STATION.json`.
    pub fn new(dir: &Path, station: &str) -> Self {
        let name: String = station
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Self {
            path: dir.join(format!("board-{name}.json")),
            last_write: None,
            emergency: None,
        }
    }

    /// The kept board, if there is a readable one for this station.
    pub fn load(&self, station: &str) -> Option<Board> {
        let bytes = std::fs::read(&self.path).ok()?;
        match serde_json::from_slice::<Board>(&bytes) {
            Ok(board) if board.station.id == station => Some(board),
            Ok(_) => None,
            Err(e) => {
                bevy::log::warn!(path = %self.path.display(), "kept board unreadable, ignored: {e}");
                None
            }
        }
    }

    /// Keeps `board` unless one was written less than [`MIN_INTERVAL`] ago;
    /// a takeover starting or ending is always written (a screen restarted
    /// offline must not come back into an ended one).
    pub fn offer(&mut self, board: &Board) {
        let emergency = board.emergency.as_ref().map(|e| e.id.clone());
        let recent = self.last_write.is_some_and(|t| t.elapsed() < MIN_INTERVAL);
        if recent && emergency == self.emergency {
            return;
        }
        match self.write(board) {
            Ok(()) => {
                self.last_write = Some(Instant::now());
                self.emergency = emergency;
            }
            Err(e) => bevy::log::warn!(path = %self.path.display(), "cannot keep the board: {e}"),
        }
    }

    fn write(&self, board: &Board) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self.path.with_extension("json.tmp");
        let bytes = serde_json::to_vec(board).map_err(std::io::Error::other)?;
        {
            use std::io::Write as _;
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)
    }
}

/// The default folder: `$XDG_STATE_HOME/quai`, else `~/.local/state/quai`, else
/// `quai-screen` in the working directory.
pub fn default_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("quai");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(h).join(".local/state/quai");
    }
    PathBuf::from("quai-screen")
}

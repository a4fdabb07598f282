//! The input line of a remote's receiver (NF S 32-002, 868.3 MHz): a blind
//! passenger presses the remote, the receiver box closes a contact or sends
//! a character, and the screen reads its board. The device is a path given
//! with `--speech-input` (a USB serial adapter such as /dev/ttyUSB0, or a
//! FIFO that another program writes to): every byte read is one press (a receiver that sends a
//! line sends a few bytes close together: presses within a second count
//! once). docs/accessibility.md says how to wire one.

use std::io::Read as _;
use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

/// Reads `path` on its own thread and sends one `()` per press, until the
/// receiving side is gone. A device that disappears (unplugged) is opened
/// again every second, and said once in the log.
pub fn watch(path: PathBuf, presses: Sender<()>, wake: impl Fn() + Send + 'static) {
    let spawned = std::thread::Builder::new()
        .name("quai-speech-input".into())
        .spawn(move || {
            let mut last: Option<Instant> = None;
            let mut complained = false;
            loop {
                // Opening a FIFO blocks until a writer comes: that is the wait.
                let mut device = match std::fs::File::open(&path) {
                    Ok(f) => {
                        complained = false;
                        f
                    }
                    Err(e) => {
                        if !complained {
                            bevy::log::warn!("speech input {}: {e}", path.display());
                            complained = true;
                        }
                        std::thread::sleep(Duration::from_secs(1));
                        continue;
                    }
                };
                let mut buf = [0u8; 64];
                loop {
                    match device.read(&mut buf) {
                        Ok(0) => {
                            // A FIFO's writer closed: open it again.
                            std::thread::sleep(Duration::from_millis(50));
                            break;
                        }
                        Ok(_) => {
                            let now = Instant::now();
                            if last.is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1))
                            {
                                last = Some(now);
                                if presses.send(()).is_err() {
                                    return;
                                }
                                wake();
                            }
                        }
                        Err(e) => {
                            bevy::log::warn!("speech input {}: {e}", path.display());
                            std::thread::sleep(Duration::from_secs(1));
                            break;
                        }
                    }
                }
            }
        });
    if let Err(e) = spawned {
        bevy::log::error!("cannot start the speech input thread: {e}");
    }
}

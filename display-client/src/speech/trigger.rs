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
                let mut device = match open(&path) {
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
                            // A serial line hung up (the adapter unplugged):
                            // open it again, after a pause.
                            std::thread::sleep(Duration::from_secs(1));
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
                            if !complained {
                                bevy::log::warn!("speech input {}: {e}", path.display());
                                complained = true;
                            }
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

/// `O_NOCTTY` (Linux): a serial port opened by a screen running as a
/// service must not become its controlling terminal (unplugging it would
/// then hang the screen up).
const O_NOCTTY: i32 = 0o400;

/// Opens the input: a character device (a serial port) or a FIFO, read and
/// write for a FIFO (so that it never reads an end: writers come and go). A
/// regular file is refused: it would read as a press forever.
fn open(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};
    let kind = std::fs::metadata(path)?.file_type();
    if !(kind.is_char_device() || kind.is_fifo()) {
        return Err(std::io::Error::other(
            "not a serial port or a FIFO (mkfifo makes one for tests)",
        ));
    }
    std::fs::OpenOptions::new()
        .read(true)
        .write(kind.is_fifo())
        .custom_flags(O_NOCTTY)
        .open(path)
}

//! The input line of a remote's receiver (NF S 32-002, 868.3 MHz): a blind
//! passenger presses the remote, the receiver box closes a contact or sends
//! a character, and the screen reads its board. The path given with
//! `--speech-input` is read one of two ways:
//! - a character device or a FIFO (a USB serial adapter such as
//!   /dev/ttyUSB0, or what `gpiomon` writes): every byte read is a press;
//! - a regular file holding a level, `0` or `1` (a GPIO's sysfs `value`, the
//!   contact of the receiver's relay): each rise from 0 to 1 is a press,
//!   read every 50 ms.
//!
//! Presses within a second count once (a receiver that sends a line sends a
//! few bytes close together; a contact bounces). docs/accessibility.md says
//! how to wire one.

use std::io::Read as _;
use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

/// Reads `path` on its own thread and sends one `()` per press, until the
/// receiving side is gone. A device that disappears (unplugged) is opened
/// again every second, and said once in the log.
pub fn watch(path: PathBuf, presses: Sender<()>, wake: impl Fn() + Send + 'static) {
    if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
        return watch_level(path, presses, wake);
    }
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

/// A contact as a level in a file (`0` open, `1` closed): a press on each
/// rise, the file read every 50 ms.
fn watch_level(path: PathBuf, presses: Sender<()>, wake: impl Fn() + Send + 'static) {
    let spawned = std::thread::Builder::new()
        .name("quai-speech-contact".into())
        .spawn(move || {
            let mut closed = None;
            let mut last: Option<Instant> = None;
            let mut complained = false;
            loop {
                match std::fs::read(&path) {
                    Ok(bytes) => {
                        complained = false;
                        let now_closed =
                            bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'1');
                        // The level at start is not a press: only a rise is.
                        if closed == Some(false) && now_closed {
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
                        closed = Some(now_closed);
                    }
                    Err(e) => {
                        if !complained {
                            bevy::log::warn!("speech input {}: {e}", path.display());
                            complained = true;
                        }
                        std::thread::sleep(Duration::from_secs(1));
                    }
                }
                std::thread::sleep(Duration::from_millis(50));
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
/// write for a FIFO (so that it never reads an end: writers come and go).
/// (A regular file is a level, read by [`watch_level`].)
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

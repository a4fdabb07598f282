//! Where speech goes: the screen PC's audio device, or a WAV file
//! (`--speak-to`, for tests and installers without speakers).
//!
//! Playing goes through the system's player (`pw-play`, `paplay` or
//! `aplay`, the first found): PipeWire, PulseAudio or plain ALSA, whichever
//! the PC runs, with no audio library linked into the screen. An utterance
//! plays to its end unless an emergency interrupts it (the player is killed).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use super::voice::Audio;

/// Where audio goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sink {
    Device,
    /// Each utterance replaces the file's content (written whole, then renamed).
    File(PathBuf),
}

/// A sound being played; dropping it lets it finish.
#[derive(Debug)]
pub struct Playing {
    /// The player and its name (None: written to a file, done).
    child: Option<(Child, &'static str)>,
    /// How the player ended: an error when it said it could not play.
    ended: Option<Result<(), String>>,
}

impl Playing {
    fn done() -> Playing {
        Playing {
            child: None,
            ended: Some(Ok(())),
        }
    }

    pub fn finished(&mut self) -> bool {
        if self.ended.is_some() {
            return true;
        }
        let Some((child, player)) = &mut self.child else {
            return true;
        };
        match child.try_wait() {
            Ok(None) => false,
            Ok(Some(status)) if status.success() => {
                self.ended = Some(Ok(()));
                true
            }
            // No sound card, a device taken: the player says so by its status.
            Ok(Some(status)) => {
                self.ended = Some(Err(format!("{player} could not play ({status})")));
                true
            }
            Err(e) => {
                self.ended = Some(Err(format!("{player}: {e}")));
                true
            }
        }
    }

    /// Once [`Playing::finished`]: whether the player played it.
    pub fn outcome(&self) -> Result<(), String> {
        self.ended.clone().unwrap_or(Ok(()))
    }

    /// Stops it now (an emergency comes first).
    pub fn stop(&mut self) {
        if let Some((child, _)) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.child = None;
        self.ended = Some(Ok(()));
    }
}

/// Sends `audio` to `sink`.
pub fn play(sink: &Sink, audio: &Audio) -> Result<Playing, String> {
    match sink {
        Sink::File(path) => {
            let mut tmp = path.as_os_str().to_owned();
            tmp.push(".tmp");
            std::fs::write(&tmp, audio.to_wav())
                .and_then(|()| std::fs::rename(&tmp, path))
                .map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(Playing::done())
        }
        Sink::Device => {
            let players: [(&str, &[&str]); 3] = [
                ("pw-play", &["-"]),
                ("paplay", &[]),
                ("aplay", &["-q", "-"]),
            ];
            let mut last = String::from("no audio player");
            for (player, args) in players {
                match Command::new(player)
                    .args(args)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                {
                    Ok(mut child) => {
                        if let Some(mut stdin) = child.stdin.take() {
                            let wav = audio.to_wav();
                            // The player reads on while we go on: a thread feeds it.
                            std::thread::spawn(move || {
                                let _ = stdin.write_all(&wav);
                            });
                        }
                        return Ok(Playing {
                            child: Some((child, player)),
                            ended: None,
                        });
                    }
                    Err(e) => last = format!("{player}: {e}"),
                }
            }
            Err(format!(
                "cannot play audio ({last}); install pipewire-bin, pulseaudio-utils or alsa-utils"
            ))
        }
    }
}

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
pub struct Playing(Option<Child>);

impl Playing {
    pub fn finished(&mut self) -> bool {
        match &mut self.0 {
            None => true,
            Some(child) => !matches!(child.try_wait(), Ok(None)),
        }
    }

    /// Stops it now (an emergency comes first).
    pub fn stop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.0 = None;
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
            Ok(Playing(None))
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
                        return Ok(Playing(Some(child)));
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

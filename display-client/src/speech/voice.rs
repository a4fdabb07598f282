//! The speech engines behind one small trait, [`Voice`]: espeak-ng (the
//! Debian package, French and English voices, the default) or Piper where an
//! operator installed it with its voice files. Both run as a subprocess that
//! reads the text on stdin and writes a WAV: nothing is downloaded at run
//! time, and a crash of the engine is an error here, not a dead screen.
//! Audio is kept as 16-bit mono samples ([`Audio`]).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::layout::Engine;

#[derive(Debug, thiserror::Error)]
pub enum VoiceError {
    #[error("cannot run {engine}: {reason} (scripts/deps.sh demo installs espeak-ng)")]
    Spawn { engine: String, reason: String },
    #[error("{engine} failed: {reason}")]
    Failed { engine: String, reason: String },
    #[error("{engine} wrote no usable WAV: {reason}")]
    Wav { engine: String, reason: String },
}

/// A local speech engine.
pub trait Voice: Send + Sync + std::fmt::Debug {
    /// `text` (plain, already through the lexicon) said in `lang`.
    fn say(&self, lang: &str, text: &str) -> Result<Audio, VoiceError>;
}

/// The voice of the engine a layout names.
pub fn voice(engine: &Engine) -> Box<dyn Voice> {
    match engine {
        Engine::EspeakNg => Box::new(EspeakNg),
        Engine::Piper(models) => Box::new(Piper(models.clone())),
    }
}

#[derive(Debug)]
pub struct EspeakNg;

impl Voice for EspeakNg {
    fn say(&self, lang: &str, text: &str) -> Result<Audio, VoiceError> {
        let voice = match lang {
            "fr" => "fr-fr",
            "en" => "en-gb",
            other => other,
        };
        run(
            "espeak-ng",
            Command::new("espeak-ng").args(["-v", voice, "-s", "160", "--stdout", "--stdin"]),
            text,
        )
    }
}

#[derive(Debug)]
pub struct Piper(std::collections::BTreeMap<String, PathBuf>);

impl Voice for Piper {
    fn say(&self, lang: &str, text: &str) -> Result<Audio, VoiceError> {
        let model = self.0.get(lang).ok_or_else(|| VoiceError::Failed {
            engine: "piper".into(),
            reason: format!("no model for `{lang}` in the layout's speech.engine"),
        })?;
        run(
            "piper",
            Command::new("piper")
                .arg("--model")
                .arg(model)
                .args(["--output_file", "-"]),
            text,
        )
    }
}

/// How long an engine may take for one text before it is killed (a hung
/// engine must not silence the screen for good).
const ENGINE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

/// Runs an engine with `text` on stdin; its stdout is the WAV.
fn run(engine: &str, command: &mut Command, text: &str) -> Result<Audio, VoiceError> {
    use std::io::Read as _;
    let failed = |reason: String| VoiceError::Failed {
        engine: engine.into(),
        reason,
    };
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| VoiceError::Spawn {
            engine: engine.into(),
            reason: e.to_string(),
        })?;
    // Fed and read on threads of their own, so that the deadline holds
    // whatever the engine does with its pipes.
    let input = child.stdin.take().map(|mut stdin| {
        let text = text.to_string();
        std::thread::spawn(move || {
            // A write error shows as the engine's failure below.
            let _ = stdin.write_all(text.as_bytes());
        })
    });
    let read = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = read(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = read(child.stderr.take().map(|p| Box::new(p) as _));
    let began = std::time::Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if began.elapsed() > ENGINE_DEADLINE => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(failed(format!(
                    "no answer in {} s, killed",
                    ENGINE_DEADLINE.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(10)),
            Err(e) => return Err(failed(e.to_string())),
        }
    };
    if let Some(input) = input {
        let _ = input.join();
    }
    let out = stdout.join().unwrap_or_default();
    let err = stderr.join().unwrap_or_default();
    if !status.success() {
        return Err(failed(format!(
            "{status}: {}",
            String::from_utf8_lossy(&err).trim()
        )));
    }
    Audio::from_wav(&out).map_err(|reason| VoiceError::Wav {
        engine: engine.into(),
        reason,
    })
}

/// Mono 16-bit PCM.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Audio {
    pub sample_rate: u32,
    pub samples: Vec<i16>,
}

impl Audio {
    /// Reads a PCM 16-bit WAV (mono, or the first channel of more). A size of
    /// 0x7FFFFFFF or past the end (a WAV written to a pipe, as espeak-ng's
    /// `--stdout` does) means "to the end".
    pub fn from_wav(bytes: &[u8]) -> Result<Audio, String> {
        if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
            return Err("not a RIFF/WAVE file".into());
        }
        let u16_at = |i: usize| {
            bytes
                .get(i..i + 2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]))
        };
        let u32_at = |i: usize| {
            bytes
                .get(i..i + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        let mut at = 12;
        let mut format: Option<(u16, u16, u32, u16)> = None;
        while let (Some(id), Some(size)) = (bytes.get(at..at + 4), u32_at(at + 4)) {
            let body = at + 8;
            let end = body.saturating_add(size as usize).min(bytes.len());
            match id {
                b"fmt " => {
                    format = Some((
                        u16_at(body).ok_or("short fmt")?,
                        u16_at(body + 2).ok_or("short fmt")?,
                        u32_at(body + 4).ok_or("short fmt")?,
                        u16_at(body + 14).ok_or("short fmt")?,
                    ));
                }
                b"data" => {
                    let (tag, channels, rate, bits) = format.ok_or("data before fmt")?;
                    if tag != 1 || bits != 16 || channels == 0 {
                        return Err(format!(
                            "PCM 16-bit expected (format {tag}, {bits} bits, {channels} channels)"
                        ));
                    }
                    let frame = 2 * channels as usize;
                    let samples = bytes[body..end]
                        .chunks_exact(frame)
                        .map(|f| i16::from_le_bytes([f[0], f[1]]))
                        .collect();
                    return Ok(Audio {
                        sample_rate: rate,
                        samples,
                    });
                }
                _ => {}
            }
            at = end + (size as usize & 1);
        }
        Err("no data chunk".into())
    }

    /// As a WAV file.
    pub fn to_wav(&self) -> Vec<u8> {
        let data = (self.samples.len() * 2) as u32;
        let mut out = Vec::with_capacity(44 + data as usize);
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(36 + data).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&self.sample_rate.to_le_bytes());
        out.extend_from_slice(&(self.sample_rate * 2).to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&16u16.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&data.to_le_bytes());
        for s in &self.samples {
            out.extend_from_slice(&s.to_le_bytes());
        }
        out
    }

    pub fn duration_s(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.sample_rate.max(1))
    }

    /// Root mean square, 0 to 1.
    pub fn rms(&self) -> f64 {
        if self.samples.is_empty() {
            return 0.0;
        }
        let sum: f64 = self
            .samples
            .iter()
            .map(|&s| (f64::from(s) / 32768.0).powi(2))
            .sum();
        (sum / self.samples.len() as f64).sqrt()
    }

    /// Every sample times `volume` (0 to 1).
    pub fn scaled(mut self, volume: f32) -> Audio {
        let v = volume.clamp(0.0, 1.0);
        for s in &mut self.samples {
            *s = (f32::from(*s) * v) as i16;
        }
        self
    }

    /// `other` after this one (resampled by repetition or skipping when the
    /// rates differ: only the chime meets speech, and it is simple tones).
    pub fn then(mut self, other: &Audio) -> Audio {
        if self.sample_rate == 0 {
            return other.clone();
        }
        let ratio = f64::from(other.sample_rate.max(1)) / f64::from(self.sample_rate);
        let n = (other.samples.len() as f64 / ratio) as usize;
        self.samples
            .extend((0..n).map(|i| {
                other.samples[((i as f64 * ratio) as usize).min(other.samples.len() - 1)]
            }));
        self
    }

    /// Half a second of silence at `sample_rate`.
    pub fn pause(sample_rate: u32) -> Audio {
        Audio {
            sample_rate,
            samples: vec![0; sample_rate as usize / 2],
        }
    }

    /// The chime before what matters now: two soft tones, high then low
    /// (the "ding-dong" of station announcements).
    pub fn chime(sample_rate: u32) -> Audio {
        let tone = |freq: f64, seconds: f64| {
            let n = (f64::from(sample_rate) * seconds) as usize;
            (0..n).map(move |i| {
                let t = i as f64 / f64::from(sample_rate);
                let fade = (1.0 - t / seconds).max(0.0);
                (0.35 * fade * (2.0 * std::f64::consts::PI * freq * t).sin() * 32767.0) as i16
            })
        };
        Audio {
            sample_rate,
            samples: tone(784.0, 0.45).chain(tone(622.0, 0.6)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wav_round_trips_and_a_piped_one_reads_to_its_end() {
        let audio = Audio::chime(22050);
        let wav = audio.to_wav();
        assert_eq!(Audio::from_wav(&wav).expect("wav"), audio);
        // As espeak-ng --stdout writes it: sizes unknown.
        let mut piped = wav.clone();
        piped[4..8].copy_from_slice(&0x7FFF_FFFFu32.to_le_bytes());
        piped[40..44].copy_from_slice(&0x7FFF_FFFFu32.to_le_bytes());
        assert_eq!(Audio::from_wav(&piped).expect("piped wav"), audio);
        assert!(Audio::from_wav(b"RIFF....WAVE").is_err());
        assert!(Audio::from_wav(b"not a wav").is_err());
    }

    #[test]
    fn the_chime_is_heard_and_scaling_lowers_it() {
        let chime = Audio::chime(22050);
        assert!(chime.rms() > 0.1, "{}", chime.rms());
        let half = chime.clone().scaled(0.5);
        assert!((half.rms() - chime.rms() / 2.0).abs() < 0.01);
        let both = Audio::pause(22050).then(&chime);
        assert!(
            (both.duration_s() - 1.55).abs() < 0.01,
            "{}",
            both.duration_s()
        );
    }
}

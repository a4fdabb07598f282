//! Screen layouts (`layouts/*.ron`): canvas, theme and the regions of a screen.
//!
//! A layout is plain data read with `ron` + serde; an error names the file, the
//! line, the column and what was expected, because the person reading it is
//! installing a screen.

use std::path::Path;

use serde::Deserialize;

/// A rectangle on the canvas, in pixels from the top left.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Canvas {
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sizes {
    pub header: f32,
    pub row: f32,
    pub small: f32,
    pub ticker: f32,
}

/// Fine print against `small`: see [`Sizes::fine`].
pub const FINE: f32 = 0.8;

impl Sizes {
    /// The smallest of the board's five text sizes (with `header`, `row`,
    /// `ticker` and `small`): what stands under a row (a changed platform, how
    /// full a bus is) and the body of the side panels. The board's panels keep
    /// to these five (docs/layouts.md names the few exceptions): fewer sizes
    /// read as one design from across a hall, and each size of each font
    /// costs a glyph atlas (about 2 MiB on software rendering).
    pub fn fine(&self) -> f32 {
        self.small * FINE
    }
}

/// Colours (`#RRGGBB`) and fonts (paths under `assets/`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    pub background: String,
    pub text: String,
    pub muted: String,
    pub accent: String,
    pub warning: String,
    pub alert: String,
    pub font: String,
    pub font_bold: String,
    pub sizes: Sizes,
}

/// A column of the departures table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Column {
    /// The departure time (scheduled, or expected when it differs).
    Time,
    /// "dans 4 min" / "in 4 min".
    Countdown,
    Line,
    Destination,
    Platform,
    /// "à l'heure", "retardé +7 min", "supprimé"...
    Status,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Departures {
    pub region: Region,
    pub rows_per_page: usize,
    /// Seconds before the next page when there are more rows than fit.
    pub paging_s: f32,
    pub columns: Vec<Column>,
    /// A one-platform or one-bay sign: only the departures from these
    /// platforms (as boards write them: "A", "2")…
    #[serde(default)]
    pub platforms: Vec<String>,
    /// …or from these stops (`feed:stop_id`). Empty: every departure.
    #[serde(default)]
    pub stops: Vec<String>,
    /// Minutes to walk from this screen to each stop (`feed:stop_id`), `"*"`
    /// for the stops not named. A departure one can no longer reach on foot
    /// is left out, and countdowns count to the moment one must leave.
    #[serde(default)]
    pub walk_min: std::collections::BTreeMap<String, f32>,
    /// What the table lists: `Departures` (the default) or `Arrivals` (the
    /// station's arrivals, « en provenance de »; the station needs
    /// `arrivals = true` in the server's configuration).
    #[serde(default)]
    pub show: Shown,
}

/// What a departures table lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum Shown {
    #[default]
    Departures,
    Arrivals,
}

impl Departures {
    /// Seconds to walk to `stop_id` (0 when the layout says nothing, and on
    /// an arrivals board: one meets an arrival, nobody has to catch it).
    pub fn walk_s(&self, stop_id: &str) -> i64 {
        if self.show == Shown::Arrivals {
            return 0;
        }
        let minutes = self
            .walk_min
            .get(stop_id)
            .or_else(|| self.walk_min.get("*"))
            .copied()
            .unwrap_or(0.0);
        (f64::from(minutes) * 60.0).round() as i64
    }
}

/// How the notices ticker moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum TickerMode {
    /// One notice at a time, changing every `seconds_per_item` (cheap: the default).
    Paged,
    /// Smooth scrolling (for screens with a real GPU).
    Scroll,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ticker {
    pub region: Region,
    pub mode: TickerMode,
    pub seconds_per_item: f32,
    /// Scrolling speed in pixels per second (`Scroll` mode).
    #[serde(default = "default_speed")]
    pub speed: f32,
}

fn default_speed() -> f32 {
    120.0
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    pub name: String,
    pub canvas: Canvas,
    pub theme: Theme,
    pub header: Region,
    pub departures: Departures,
    #[serde(default)]
    pub ticker: Option<Ticker>,
    #[serde(default)]
    pub advisory: Option<Region>,
    #[serde(default)]
    pub wifi: Option<Region>,
    /// Carpool areas, car parks, bike share: free places.
    #[serde(default)]
    pub facilities: Option<Region>,
    /// Languages shown in turn, e.g. `["fr", "en"]`.
    pub languages: Vec<String>,
    pub language_rotation_s: f32,
    /// When and how loud the screen speaks (see [`Speech`]'s defaults).
    #[serde(default)]
    pub speech: Speech,
    /// The touch kiosk's parts (`display-client --mode kiosk`): absent on a
    /// screen nobody touches.
    #[serde(default)]
    pub kiosk: Option<Kiosk>,
}

/// Where a kiosk puts its views and its controls (docs/kiosk.md).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kiosk {
    /// The view's title and summary, read standing or seated: nothing to
    /// touch there.
    pub title: Region,
    /// The "continue on your phone" QR code.
    pub qr: Region,
    /// The view's rows (departures, lines, calls, notices): the rows one can
    /// tap are here, so it lies inside `reach`.
    pub content: Region,
    /// The buttons (home, back, views, listen, language, text size, pages).
    pub nav: Region,
    /// The band a seated person (a wheelchair user) reaches: every control
    /// must lie inside it (checked when the layout is loaded).
    pub reach: Region,
    /// Seconds without a touch or a key before the kiosk goes back to its
    /// home view in French, forgetting everything.
    #[serde(default = "default_idle_reset_s")]
    pub idle_reset_s: f32,
    /// The height of a button and of a row one can tap, at least 48 px (WCAG
    /// 2.2 target size; the default is twice that).
    #[serde(default = "default_target_px")]
    pub target_px: f32,
}

fn default_idle_reset_s() -> f32 {
    90.0
}

fn default_target_px() -> f32 {
    96.0
}

/// When and how loud the screen speaks (docs/accessibility.md).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Speech {
    /// Minutes between two scheduled readings of the board; 0: none.
    pub interval_min: u32,
    /// No scheduled reading between these times of day (station time,
    /// "HH:MM"); asked-for ones and what matters now are still said.
    pub quiet: Option<(String, String)>,
    /// Volume, 0 to 1, by day and in the `night` hours.
    pub day_volume: f32,
    pub night_volume: f32,
    pub night: (String, String),
    /// The pronunciation lexicon, relative to the layout's folder.
    pub lexicon: Option<String>,
    pub engine: Engine,
}

/// The speech engine, as a layout names it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub enum Engine {
    /// `espeak-ng`, from `PATH`.
    #[default]
    EspeakNg,
    /// `piper --model FILE`, one model per language (`{"fr": "/…/fr.onnx"}`).
    Piper(std::collections::BTreeMap<String, std::path::PathBuf>),
}

impl Default for Speech {
    fn default() -> Speech {
        Speech {
            interval_min: 5,
            quiet: Some(("22:30".into(), "06:00".into())),
            day_volume: 1.0,
            night_volume: 0.5,
            night: ("21:00".into(), "07:00".into()),
            lexicon: Some("lexicon.ron".into()),
            engine: Engine::EspeakNg,
        }
    }
}

/// The smallest target a finger can be asked to hit, in px on a 1080-wide
/// screen (WCAG 2.2, 2.5.8 asks 24 CSS px at least; 2.5.5 asks 44: twice
/// the first, and more than the second, for a public kiosk).
pub const MIN_TARGET_PX: f32 = 48.0;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LayoutError {
    #[error("cannot read layout {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path}:{line}:{column}: {reason}")]
    Syntax {
        path: String,
        line: usize,
        column: usize,
        reason: String,
    },
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
}

impl Layout {
    pub fn load(path: &Path) -> Result<Layout, LayoutError> {
        let text = std::fs::read_to_string(path).map_err(|e| LayoutError::Read {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Layout::parse(&text, &path.display().to_string())
    }

    /// Parses and checks a layout; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Layout, LayoutError> {
        let layout: Layout = ron::from_str(text).map_err(|e| LayoutError::Syntax {
            path: origin.to_string(),
            line: e.span.start.line,
            column: e.span.start.col,
            reason: e.code.to_string(),
        })?;
        let invalid = |reason: String| LayoutError::Invalid {
            path: origin.to_string(),
            reason,
        };
        if layout.canvas.width == 0 || layout.canvas.height == 0 {
            return Err(invalid("canvas: width and height must be positive".into()));
        }
        if layout.departures.rows_per_page == 0 {
            return Err(invalid("departures.rows_per_page must be positive".into()));
        }
        if layout.departures.columns.is_empty() {
            return Err(invalid(
                "departures.columns: name at least one column".into(),
            ));
        }
        if let Some((stop, m)) = layout
            .departures
            .walk_min
            .iter()
            .find(|(_, m)| !(0.0..=60.0).contains(*m))
        {
            return Err(invalid(format!(
                "departures.walk_min.{stop}: `{m}`: 0 to 60 minutes"
            )));
        }
        if layout.languages.is_empty() {
            return Err(invalid("languages: name at least one language".into()));
        }
        let speech = &layout.speech;
        let hours = [Some(&speech.night), speech.quiet.as_ref()];
        for (from, until) in hours.into_iter().flatten() {
            for t in [from, until] {
                if chrono::NaiveTime::parse_from_str(t, "%H:%M").is_err() {
                    return Err(invalid(format!("speech: `{t}`: write HH:MM")));
                }
            }
        }
        for (name, v) in [
            ("day_volume", speech.day_volume),
            ("night_volume", speech.night_volume),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(invalid(format!("speech.{name}: 0 to 1")));
            }
        }
        let theme = &layout.theme;
        for (name, colour) in [
            ("background", &theme.background),
            ("text", &theme.text),
            ("muted", &theme.muted),
            ("accent", &theme.accent),
            ("warning", &theme.warning),
            ("alert", &theme.alert),
        ] {
            if crate::contrast::parse_hex(colour).is_none() {
                return Err(invalid(format!("theme.{name}: `{colour}` is not #RRGGBB")));
            }
        }
        let mut regions = vec![
            ("header", layout.header),
            ("departures", layout.departures.region),
        ];
        regions.extend(layout.ticker.as_ref().map(|t| ("ticker", t.region)));
        regions.extend(layout.advisory.map(|r| ("advisory", r)));
        regions.extend(layout.wifi.map(|r| ("wifi", r)));
        regions.extend(layout.facilities.map(|r| ("facilities", r)));
        if let Some(k) = &layout.kiosk {
            regions.extend([
                ("kiosk.title", k.title),
                ("kiosk.qr", k.qr),
                ("kiosk.content", k.content),
                ("kiosk.nav", k.nav),
                ("kiosk.reach", k.reach),
            ]);
            if !(k.target_px.is_finite() && k.idle_reset_s.is_finite()) {
                return Err(invalid(
                    "kiosk: target_px and idle_reset_s must be numbers".into(),
                ));
            }
            if k.target_px < MIN_TARGET_PX {
                return Err(invalid(format!(
                    "kiosk.target_px: at least {MIN_TARGET_PX} (WCAG 2.2 target size)"
                )));
            }
            if !(10.0..=86_400.0).contains(&k.idle_reset_s) {
                return Err(invalid("kiosk.idle_reset_s: 10 to 86400".into()));
            }
            for (name, r) in [("kiosk.content", k.content), ("kiosk.nav", k.nav)] {
                let inside = r.y >= k.reach.y
                    && r.y + r.height <= k.reach.y + k.reach.height
                    && r.x >= k.reach.x
                    && r.x + r.width <= k.reach.x + k.reach.width;
                if !inside {
                    return Err(invalid(format!(
                        "{name}: its controls must lie inside kiosk.reach"
                    )));
                }
            }
        }
        for (name, r) in regions {
            let fits = [r.x, r.y, r.width, r.height].iter().all(|v| v.is_finite())
                && r.x >= 0.0
                && r.y >= 0.0
                && r.width > 0.0
                && r.height > 0.0
                && r.x + r.width <= layout.canvas.width as f32
                && r.y + r.height <= layout.canvas.height as f32;
            if !fits {
                return Err(invalid(format!(
                    "{name}: the region does not fit the canvas"
                )));
            }
        }
        Ok(layout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped(name: &str) -> Layout {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../layouts")
            .join(name);
        Layout::load(&path).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_shipped_layouts_are_valid() {
        let hall = shipped("hall-1080p.ron");
        assert_eq!((hall.canvas.width, hall.canvas.height), (1920, 1080));
        assert!(hall.wifi.is_some() && hall.ticker.is_some());
        let portrait = shipped("portrait-1080x1920.ron");
        assert_eq!(
            (portrait.canvas.width, portrait.canvas.height),
            (1080, 1920)
        );
        assert_eq!(hall.departures.show, Shown::Departures);
        let arrivals = shipped("hall-arrivals-1080p.ron");
        assert_eq!(arrivals.departures.show, Shown::Arrivals);
        let sign = shipped("platform-sign.ron");
        assert!(sign.departures.rows_per_page <= 4);
        let kiosk = shipped("kiosk-portrait-1080x1920.ron");
        let k = kiosk.kiosk.expect("the kiosk's regions");
        assert!(k.target_px >= MIN_TARGET_PX);
        assert!(k.reach.y >= 600.0, "the lower part of the screen");
    }

    #[test]
    fn a_kiosk_control_out_of_reach_is_refused() {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../layouts/kiosk-portrait-1080x1920.ron"),
        )
        .unwrap();
        let high = text.replacen("reach: (x: 0, y: 760", "reach: (x: 0, y: 1500", 1);
        assert_ne!(high, text);
        let e = Layout::parse(&high, "kiosk.ron").unwrap_err().to_string();
        assert!(e.contains("inside kiosk.reach"), "{e}");
        let small = text.replacen("target_px: 96", "target_px: 30", 1);
        assert_ne!(small, text);
        let e = Layout::parse(&small, "kiosk.ron").unwrap_err().to_string();
        assert!(e.contains("WCAG"), "{e}");
    }

    #[test]
    fn walking_times_are_per_stop_with_a_default() {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../layouts/platform-sign.ron"),
        )
        .unwrap();
        let walking = text.replacen(
            "columns: [Countdown, Line, Destination, Status],",
            "columns: [Countdown, Line, Destination, Status],\n walk_min: {\"*\": 2, \"demo:CAUDRY:V1\": 4.5},",
            1,
        );
        assert_ne!(walking, text);
        let l = Layout::parse(&walking, "sign.ron").unwrap();
        assert_eq!(l.departures.walk_s("demo:CAUDRY:V1"), 270);
        assert_eq!(l.departures.walk_s("demo:CAUDRY:A"), 120);
        assert_eq!(
            shipped("hall-1080p.ron").departures.walk_s("demo:CAUDRY:A"),
            0
        );
        let far = walking.replacen("4.5", "90", 1);
        let e = Layout::parse(&far, "sign.ron").unwrap_err().to_string();
        assert!(e.contains("walk_min.demo:CAUDRY:V1"), "{e}");
    }

    #[test]
    fn errors_name_the_file_the_line_and_the_column() {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../layouts/hall-1080p.ron"),
        )
        .unwrap();
        let broken = text.replacen("rows_per_page: 10", "rows_per_page: \"ten\"", 1);
        let e = Layout::parse(&broken, "hall.ron").unwrap_err().to_string();
        assert!(e.starts_with("hall.ron:"), "{e}");
        let line = broken.lines().position(|l| l.contains("\"ten\"")).unwrap() + 1;
        assert!(e.starts_with(&format!("hall.ron:{line}:")), "{e}");
        assert!(e.contains("Expected"), "{e}");

        let wide = text.replacen("width: 1920, height: 1080", "width: 800, height: 600", 1);
        let e = Layout::parse(&wide, "hall.ron").unwrap_err().to_string();
        assert!(e.contains("does not fit the canvas"), "{e}");
    }
}

//! The board on screen: header with clock and live indicator, the departures table
//! (paged), the notices ticker, the weather advisory panel and the Wi-Fi panel.
//!
//! The whole tree is rebuilt only when something a passenger would see changes
//! (board, page, language, connection, the minute of the clock), never every frame.
//! Every text drawn is also recorded, with its region, for `--dump-text`.

use bevy::prelude::*;
use quai_protocol::{Board, DepartureStatus};
use serde::Serialize;

use crate::contrast::{parse_hex, readable_text};
use crate::layout::{Column, Layout, Region};
use crate::network::Live;
use crate::wording::{clock_time, countdown, label, page, status};

/// The layout in force.
#[derive(Resource, Debug, Clone)]
pub struct CurrentLayout(pub Layout);

/// The fonts, loaded at start-up.
#[derive(Resource, Debug, Clone)]
pub struct Fonts {
    pub regular: Handle<Font>,
    pub bold: Handle<Font>,
}

/// One text on screen.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DrawnText {
    pub region: &'static str,
    pub text: String,
}

/// What the last frame shows: its texts, and the state it was built for.
#[derive(Resource, Debug, Default)]
pub struct Drawn {
    pub texts: Vec<DrawnText>,
    key: Option<(u64, usize, usize, bool, String, usize)>,
    /// Frames rendered since the last rebuild.
    pub frames_since_build: u32,
    /// How many times the tree was built.
    pub builds: usize,
    /// When the message behind the tree just built arrived: reported once the
    /// frame showing it has been rendered.
    pending_arrival: Option<std::time::Instant>,
}

#[derive(Component)]
struct ScreenRoot;

/// Seconds since start-up, for paging and language rotation.
#[derive(Resource, Debug, Default)]
pub struct Started(pub Option<std::time::Instant>);

impl Drawn {
    /// Forces a rebuild on the next frame (the layout changed).
    pub fn forget(&mut self) {
        self.key = None;
    }
}

pub fn plugin(app: &mut App) {
    app.init_resource::<Drawn>()
        .init_resource::<Started>()
        .add_systems(Startup, load_fonts)
        .add_systems(Update, rebuild)
        .add_systems(First, report_latency);
}

fn load_fonts(mut commands: Commands, assets: Res<AssetServer>, layout: Res<CurrentLayout>) {
    commands.insert_resource(Fonts {
        regular: assets.load(layout.0.theme.font.clone()),
        bold: assets.load(layout.0.theme.font_bold.clone()),
    });
}

fn colour(hex: &str) -> Color {
    let [r, g, b] = parse_hex(hex).unwrap_or([255, 255, 255]);
    Color::srgb_u8(r, g, b)
}

fn place(r: Region) -> Node {
    Node {
        position_type: PositionType::Absolute,
        left: Val::Px(r.x),
        top: Val::Px(r.y),
        width: Val::Px(r.width),
        height: Val::Px(r.height),
        flex_direction: FlexDirection::Column,
        overflow: Overflow::clip(),
        ..default()
    }
}

/// The station's time now: the server's time (from the board) moved on by the
/// time since the board arrived. Clock, countdowns and the pruning of a kept
/// board all read it, so they agree.
fn station_now(
    board: &Board,
    received: Option<std::time::Instant>,
) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    // A board kept from an earlier run has no arrival here: the screen's own
    // clock is all there is.
    let Some(received) = received else {
        return Some(chrono::Utc::now().fixed_offset());
    };
    let generated = chrono::DateTime::parse_from_rfc3339(&board.generated_at).ok()?;
    Some(generated + chrono::Duration::from_std(received.elapsed()).unwrap_or_default())
}

/// The clock shown, in the station's time zone.
fn clock(board: Option<&Board>, received: Option<std::time::Instant>) -> String {
    let Some(board) = board else {
        return String::new();
    };
    let Some(now) = station_now(board, received) else {
        return clock_time(&board.generated_at);
    };
    let tz: chrono_tz::Tz = board.station.timezone.parse().unwrap_or(chrono_tz::UTC);
    now.with_timezone(&tz).format("%H:%M").to_string()
}

#[allow(clippy::too_many_arguments)]
fn rebuild(
    mut commands: Commands,
    layout: Res<CurrentLayout>,
    fonts: Option<Res<Fonts>>,
    assets: Res<AssetServer>,
    mut live: ResMut<Live>,
    mut started: ResMut<Started>,
    mut drawn: ResMut<Drawn>,
    roots: Query<Entity, With<ScreenRoot>>,
    mut images: ResMut<Assets<Image>>,
    mut redraw: MessageWriter<bevy::window::RequestRedraw>,
) {
    drawn.frames_since_build = drawn.frames_since_build.saturating_add(1);
    let Some(fonts) = fonts else { return };
    if !assets.is_loaded_with_dependencies(&fonts.regular)
        || !assets.is_loaded_with_dependencies(&fonts.bold)
    {
        return;
    }
    let start = *started.0.get_or_insert_with(std::time::Instant::now);
    let elapsed = start.elapsed().as_secs_f32();
    let layout = &layout.0;
    let lang_index =
        ((elapsed / layout.language_rotation_s.max(1.0)) as usize) % layout.languages.len();
    let lang = layout.languages[lang_index].clone();
    let board = live.board.as_ref();
    let stale = board.is_some_and(|b| b.feeds.iter().any(|f| f.stale));
    let is_live = live.connected && !live.kept && !stale;
    // Not live, the board ages: drop what has left by the screen's clock (a minute
    // of grace), so a kept board never lists buses long gone.
    let now = board.and_then(|b| station_now(b, live.received));
    let shown: Vec<&quai_protocol::Departure> = board.map_or_else(Vec::new, |b| {
        b.departures
            .iter()
            .filter(|d| {
                is_live
                    || now.is_none_or(|n| {
                        let when = d.expected.as_deref().unwrap_or(&d.scheduled);
                        chrono::DateTime::parse_from_rfc3339(when)
                            .map_or(true, |w| w >= n - chrono::Duration::seconds(60))
                    })
            })
            .collect()
    });
    let rows = shown.len();
    let (page_index, pages) = page(
        rows,
        layout.departures.rows_per_page,
        layout.departures.paging_s,
        elapsed,
    );
    let minute = clock(board, live.received);
    let key = (
        board.map_or(0, |b| b.seq),
        page_index,
        lang_index,
        is_live,
        minute.clone(),
        live.updates,
    );
    if drawn.key.as_ref() == Some(&key) {
        return;
    }
    for root in &roots {
        commands.entity(root).despawn();
    }
    let mut texts = Vec::new();
    let theme = &layout.theme;
    let font = |f: &Handle<Font>, size: f32| TextFont {
        font: f.clone().into(),
        font_size: bevy::text::FontSize::Px(size),
        ..default()
    };
    let text_colour = colour(&theme.text);
    let muted = colour(&theme.muted);
    let mut record = |region: &'static str, text: String| {
        texts.push(DrawnText {
            region,
            text: text.clone(),
        });
        text
    };

    let root = commands
        .spawn((
            ScreenRoot,
            Node {
                width: Val::Px(layout.canvas.width as f32),
                height: Val::Px(layout.canvas.height as f32),
                ..default()
            },
            BackgroundColor(colour(&theme.background)),
        ))
        .id();

    // Header: station, live indicator, clock.
    let station = board.map(|b| b.station.name.clone()).unwrap_or_default();
    let live_text = if board.is_none() {
        label(&lang, "starting").to_string()
    } else if is_live {
        "●".to_string()
    } else {
        label(&lang, "not_live").to_string()
    };
    let header = commands
        .spawn((
            Node {
                flex_direction: FlexDirection::Row,
                justify_content: JustifyContent::SpaceBetween,
                align_items: AlignItems::Center,
                padding: UiRect::horizontal(Val::Px(24.0)),
                ..place(layout.header)
            },
            BackgroundColor(colour(&theme.background)),
        ))
        .with_children(|h| {
            h.spawn((
                Text::new(record("header", station)),
                font(&fonts.bold, theme.sizes.header),
                TextColor(text_colour),
            ));
            let warning = !is_live;
            h.spawn((
                Text::new(record("status", live_text)),
                font(&fonts.regular, theme.sizes.small),
                TextColor(if warning {
                    colour(&theme.warning)
                } else {
                    colour(&theme.accent)
                }),
            ));
            h.spawn((
                Text::new(record("clock", minute.clone())),
                font(&fonts.bold, theme.sizes.header),
                TextColor(text_colour),
            ));
        })
        .id();
    commands.entity(root).add_child(header);

    // Departures.
    let region = layout.departures.region;
    let row_height = region.height / layout.departures.rows_per_page as f32;
    let table = commands.spawn(place(region)).id();
    commands.entity(root).add_child(table);
    if let Some(board) = board {
        if shown.is_empty() {
            let text = match &board.next_service {
                Some(next) => format!("{} {}", label(&lang, "no_service"), clock_time(next)),
                None => label(&lang, "no_service").to_string(),
            };
            let t = commands
                .spawn((
                    Text::new(record("departures", text)),
                    font(&fonts.regular, theme.sizes.row),
                    TextColor(muted),
                ))
                .id();
            commands.entity(table).add_child(t);
        }
        let width_of = |c: Column| -> f32 {
            let w = region.width;
            match c {
                Column::Time => w * 0.14,
                Column::Countdown => w * 0.20,
                Column::Line => w * 0.11,
                Column::Destination => w * 0.40,
                Column::Platform => w * 0.11,
                Column::Status => w * 0.24,
            }
        };
        let start_row = page_index * layout.departures.rows_per_page;
        for d in shown
            .iter()
            .copied()
            .skip(start_row)
            .take(layout.departures.rows_per_page)
        {
            let gone = matches!(
                d.status,
                DepartureStatus::Cancelled | DepartureStatus::Skipped
            );
            let row = commands
                .spawn(Node {
                    flex_direction: FlexDirection::Row,
                    align_items: AlignItems::Center,
                    height: Val::Px(row_height),
                    padding: UiRect::horizontal(Val::Px(16.0)),
                    ..default()
                })
                .id();
            commands.entity(table).add_child(row);
            for &column in &layout.departures.columns {
                let cell = commands
                    .spawn(Node {
                        width: Val::Px(width_of(column)),
                        flex_shrink: 0.0,
                        overflow: Overflow::clip(),
                        ..default()
                    })
                    .id();
                commands.entity(row).add_child(cell);
                let when = d.expected.as_deref().unwrap_or(&d.scheduled);
                let (text, colour_, bold) = match column {
                    // The timetabled time; the status column says how late or early.
                    Column::Time => (clock_time(&d.scheduled), text_colour, true),
                    // Minutes from the station's clock; nothing for a bus that has
                    // gone or will not come (the status column says which).
                    Column::Countdown => {
                        let minutes = now
                            .zip(chrono::DateTime::parse_from_rfc3339(when).ok())
                            .map(|(n, w)| (w - n).num_minutes())
                            .unwrap_or(0);
                        let text = if gone || d.status == DepartureStatus::Departed {
                            String::new()
                        } else {
                            countdown(&lang, minutes)
                        };
                        (text, text_colour, true)
                    }
                    Column::Line => {
                        let bg = parse_hex(&d.route.color).unwrap_or([255, 255, 255]);
                        let fg =
                            readable_text(bg, parse_hex(&d.route.text_color).unwrap_or([0, 0, 0]));
                        let name = d.route.short_name.clone().unwrap_or_default();
                        let badge = commands
                            .spawn((
                                Node {
                                    padding: UiRect::axes(Val::Px(10.0), Val::Px(2.0)),
                                    min_width: Val::Px(theme.sizes.row * 1.6),
                                    justify_content: JustifyContent::Center,
                                    ..default()
                                },
                                BackgroundColor(Color::srgb_u8(bg[0], bg[1], bg[2])),
                            ))
                            .with_children(|b| {
                                b.spawn((
                                    Text::new(record("line", name)),
                                    font(&fonts.bold, theme.sizes.row),
                                    TextColor(Color::srgb_u8(fg[0], fg[1], fg[2])),
                                ));
                            })
                            .id();
                        commands.entity(cell).add_child(badge);
                        continue;
                    }
                    Column::Destination => (
                        d.headsign.clone(),
                        if gone { muted } else { text_colour },
                        false,
                    ),
                    Column::Platform => {
                        let p = d.platform.clone().unwrap_or_default();
                        let c = if d.platform_changed {
                            colour(&theme.accent)
                        } else {
                            text_colour
                        };
                        (p, c, d.platform_changed)
                    }
                    Column::Status => {
                        let c = match d.status {
                            DepartureStatus::Cancelled | DepartureStatus::Skipped => {
                                colour(&theme.alert)
                            }
                            DepartureStatus::Delayed => colour(&theme.warning),
                            _ => muted,
                        };
                        (status(&lang, d), c, false)
                    }
                };
                let region_name = match column {
                    Column::Time | Column::Countdown => "time",
                    Column::Destination => "destination",
                    Column::Platform => "platform",
                    Column::Status => "status_column",
                    Column::Line => "line",
                };
                let size = if column == Column::Status {
                    theme.sizes.small
                } else {
                    theme.sizes.row
                };
                // One line per cell: a long destination is clipped by its cell
                // rather than pushing the row onto two lines.
                let t = commands
                    .spawn((
                        Text::new(record(region_name, text)),
                        font(if bold { &fonts.bold } else { &fonts.regular }, size),
                        TextColor(colour_),
                        TextLayout::no_wrap(),
                    ))
                    .id();
                commands.entity(cell).add_child(t);
            }
        }
        if pages > 1 {
            let t = commands
                .spawn((
                    Text::new(record("page", format!("{}/{}", page_index + 1, pages))),
                    font(&fonts.regular, theme.sizes.small),
                    TextColor(muted),
                ))
                .id();
            commands.entity(table).add_child(t);
        }

        // Ticker: one notice at a time (paged), its screen text else its header.
        // Severe notices take the whole bar as a banner, in the alert colour,
        // and the others wait until they end.
        let severe: Vec<&quai_protocol::Notice> = board
            .notices
            .iter()
            .filter(|n| n.severity == quai_protocol::Severity::Severe)
            .collect();
        let (items, banner): (Vec<&quai_protocol::Notice>, bool) = if severe.is_empty() {
            (board.notices.iter().collect(), false)
        } else {
            (severe, true)
        };
        if let Some(ticker) = &layout.ticker
            && !items.is_empty()
        {
            let i = ((elapsed / ticker.seconds_per_item.max(1.0)) as usize) % items.len();
            let n = items[i];
            let pick = |t: &quai_protocol::Translated| {
                t.get(&lang)
                    .or_else(|| t.get("fr"))
                    .or_else(|| t.values().next())
                    .cloned()
            };
            let text = pick(&n.screen_text)
                .or_else(|| pick(&n.header))
                .unwrap_or_default();
            let (region_name, text, background, foreground) = if banner {
                (
                    "banner",
                    format!("⚠ {text}"),
                    colour(&theme.alert),
                    Color::BLACK,
                )
            } else {
                ("ticker", text, Color::BLACK, colour(&theme.accent))
            };
            let bar = commands
                .spawn((
                    Node {
                        justify_content: JustifyContent::Center,
                        padding: UiRect::horizontal(Val::Px(24.0)),
                        ..place(ticker.region)
                    },
                    BackgroundColor(background),
                ))
                .with_children(|b| {
                    b.spawn((
                        Text::new(record(region_name, text)),
                        font(&fonts.bold, theme.sizes.ticker),
                        TextColor(foreground),
                    ));
                })
                .id();
            commands.entity(root).add_child(bar);
        }

        // Weather advisory.
        if let (Some(region), Some(a)) = (layout.advisory, board.advisories.first()) {
            let headline = a
                .headline
                .get(&lang)
                .or_else(|| a.headline.values().next())
                .cloned()
                .unwrap_or_default();
            let lines = a
                .advice
                .get(&lang)
                .or_else(|| a.advice.values().next())
                .cloned()
                .unwrap_or_default();
            let panel = commands
                .spawn((
                    Node {
                        padding: UiRect::all(Val::Px(16.0)),
                        row_gap: Val::Px(8.0),
                        ..place(region)
                    },
                    BackgroundColor(colour(&theme.warning).darker(0.25)),
                ))
                .with_children(|p| {
                    p.spawn((
                        Text::new(record("advisory", headline)),
                        font(&fonts.bold, theme.sizes.small * 1.1),
                        TextColor(Color::WHITE),
                    ));
                    for line in lines {
                        p.spawn((
                            Text::new(record("advisory", format!("• {line}"))),
                            font(&fonts.regular, theme.sizes.small * 0.8),
                            TextColor(Color::WHITE),
                        ));
                    }
                })
                .id();
            commands.entity(root).add_child(panel);
        }

        // Wi-Fi: QR code, network name, portal address.
        if let (Some(region), Some(wifi)) = (layout.wifi, &board.wifi) {
            let qr = crate::qr::image(&wifi.qr_payload).map(|i| images.add(i));
            let side = (region.height * 0.6).min(region.width * 0.6);
            let panel = commands
                .spawn((
                    Node {
                        align_items: AlignItems::Center,
                        padding: UiRect::all(Val::Px(12.0)),
                        row_gap: Val::Px(6.0),
                        ..place(region)
                    },
                    BackgroundColor(colour(&theme.background).lighter(0.08)),
                ))
                .with_children(|p| {
                    p.spawn((
                        Text::new(record("wifi", label(&lang, "wifi").to_string())),
                        font(&fonts.bold, theme.sizes.small),
                        TextColor(text_colour),
                    ));
                    if let Some(qr) = qr {
                        p.spawn((
                            ImageNode::new(qr),
                            Node {
                                width: Val::Px(side),
                                height: Val::Px(side),
                                ..default()
                            },
                        ));
                    }
                    p.spawn((
                        Text::new(record("wifi", wifi.ssid.clone())),
                        font(&fonts.regular, theme.sizes.small * 0.8),
                        TextColor(text_colour),
                    ));
                    if let Some(url) = &wifi.portal_url {
                        p.spawn((
                            Text::new(record("wifi", url.clone())),
                            font(&fonts.regular, theme.sizes.small * 0.6),
                            TextColor(muted),
                        ));
                    }
                })
                .id();
            commands.entity(root).add_child(panel);
        }
    }
    drawn.texts = texts;
    drawn.key = Some(key);
    drawn.frames_since_build = 0;
    drawn.builds += 1;
    if let Some(arrived) = live.arrived.take() {
        drawn.pending_arrival = Some(arrived);
        // One more update right away, whose start marks this frame as rendered.
        redraw.write(bevy::window::RequestRedraw);
    }
}

/// Logs how long a board took from its message's arrival to a rendered frame
/// (`RUST_LOG=display_client=debug`; figures in docs/benchmarks.md).
fn report_latency(mut drawn: ResMut<Drawn>) {
    if let Some(arrived) = drawn.pending_arrival.take() {
        debug!(
            latency_ms = arrived.elapsed().as_secs_f64() * 1000.0,
            "board on screen"
        );
    }
}

//! The departures table: line badge in the route's colours, destination, platform
//! (a changed one highlighted), time or countdown, and the status in words. A
//! cancelled or skipped departure stays on the board, greyed and struck through.
//! Pages when there are more rows than fit, with a page indicator; with nothing
//! in the horizon, a calm "service resumes at HH:MM".

use bevy::prelude::*;
use quai_protocol::{Board, Departure, DepartureStatus};

use crate::ScreenSet;
use crate::fonts::Fonts;
use crate::layout::{Column, Layout};
use crate::panel::{Panel, PanelInputs, Redraw, Texts};
use crate::view::View;
use crate::widgets::{colour, label, line_badge, one_line, place};
use crate::wording::{clock_time, countdown, leave_in, phrase, platform_changed, status};

pub fn plugin(app: &mut App) {
    // A kiosk lists the departures in its own home view, each one a control.
    app.add_systems(
        Update,
        draw.run_if(not(crate::is_kiosk)).in_set(ScreenSet::Draw),
    );
}

/// The share of the table's width each column takes.
pub(crate) fn width_of(column: Column, table_width: f32) -> f32 {
    table_width
        * match column {
            Column::Time => 0.14,
            Column::Countdown => 0.20,
            Column::Line => 0.11,
            Column::Destination => 0.40,
            Column::Platform => 0.11,
            Column::Status => 0.24,
        }
}

/// Whether the rows drawn move with the clock between two boards: a
/// countdown column, walking times (a departure one can no longer reach
/// leaves the page) or a board no longer live (a departure gone by leaves
/// it). Otherwise the rows change only with the board, and a screen that
/// shows times need not wake up at each departure's minute.
pub fn rows_follow_the_clock(l: &Layout, view: &View) -> bool {
    l.departures.columns.contains(&Column::Countdown)
        || (l.departures.show == crate::layout::Shown::Departures
            && !l.departures.walk_min.is_empty())
        || !view.live
}

/// Whole minutes from the station's clock to the departure (expected, else
/// timetabled), less the walk to its stop when the layout gives one: the
/// minutes left before one must leave.
fn minutes_to(l: &Layout, view: &View, d: &Departure) -> i64 {
    let when = d.expected.as_deref().unwrap_or(&d.scheduled);
    let walk = chrono::Duration::seconds(l.departures.walk_s(&d.stop_id));
    view.now
        .zip(chrono::DateTime::parse_from_rfc3339(when).ok())
        .map(|(n, w)| (w - walk - n).num_minutes())
        .unwrap_or(0)
}

/// Whether a departure will not happen here (it stays listed, struck through).
pub fn struck(d: &Departure) -> bool {
    matches!(
        d.status,
        DepartureStatus::Cancelled | DepartureStatus::Skipped
    )
}

/// What the destination column fits names with: the regular face's bytes
/// and the network's abbreviations.
#[derive(bevy::ecs::system::SystemParam)]
pub struct NameFit<'w> {
    fonts: Res<'w, Assets<Font>>,
    abbreviations: Res<'w, crate::names::Abbreviations>,
}

fn draw(p: PanelInputs, names: NameFit, mut redraw: Redraw) {
    let (l, view) = (&p.layout.layout, &*p.view);
    let board = p.live.board.as_ref();
    let per_page = l.departures.rows_per_page;
    // The countdowns on the page, when they show: each turns at its own second.
    let countdowns: Vec<i64> = board
        .filter(|_| rows_follow_the_clock(l, view))
        .map_or_else(Vec::new, |b| {
            on_page(view, b, per_page)
                .map(|d| minutes_to(l, view, d))
                .collect()
        });
    let key = (
        board.map(|b| b.seq),
        p.live.updates,
        view.page,
        view.lang_index,
        view.live,
        &view.shown,
        countdowns,
    );
    redraw.panel(Panel::Departures, key, |texts| {
        let muted = colour(&l.theme.muted);
        // With nothing in the horizon: when service resumes.
        let filtered = !(l.departures.platforms.is_empty() && l.departures.stops.is_empty());
        let no_service = board.filter(|_| view.shown.is_empty()).map(|b| {
            let text = match &b.next_service {
                // `next_service` is the next departure's.
                _ if crate::arrivals::shown(l) => phrase(&view.lang, "no_arrivals").to_string(),
                // A one-bay sign while the station has departures elsewhere.
                _ if filtered && !b.departures.is_empty() => {
                    phrase(&view.lang, "none_here").to_string()
                }
                Some(next) => format!("{} {}", phrase(&view.lang, "no_service"), clock_time(next)),
                None => phrase(&view.lang, "no_service").to_string(),
            };
            label(
                texts.note("departures", text),
                p.fonts.style(false, l.theme.sizes.row),
                muted,
            )
        });
        let font = names
            .fonts
            .get(&p.fonts.regular)
            .and_then(|f| crate::names::Measure::new(f.data.data()));
        let fit = font.as_ref().map(|m| (m, &*names.abbreviations));
        let rows: Vec<_> = board.map_or_else(Vec::new, |b| {
            on_page(view, b, per_page)
                .map(|d| row(l, &p.fonts, view, d, fit, texts))
                .collect()
        });
        let page = (board.is_some() && view.pages > 1).then(|| {
            let text = format!("{}/{}", view.page + 1, view.pages);
            label(
                texts.note("page", text),
                p.fonts.style(false, l.theme.sizes.small),
                muted,
            )
        });
        Some((
            place(l.departures.region),
            Children::spawn((
                SpawnIter(no_service.into_iter()),
                SpawnIter(rows.into_iter()),
                SpawnIter(page.into_iter()),
            )),
        ))
    });
}

/// The departures of the page shown.
pub fn on_page<'a>(
    view: &'a View,
    board: &'a Board,
    per_page: usize,
) -> impl Iterator<Item = &'a Departure> {
    view.departures(board)
        .skip(view.page * per_page)
        .take(per_page)
}

/// What a column's cell says, in which ink, bold or not; `None` for the line,
/// drawn as a [`badge`].
fn cell_text(
    l: &Layout,
    view: &View,
    d: &Departure,
    column: Column,
) -> Option<(String, Color, bool)> {
    let theme = &l.theme;
    let gone = struck(d);
    let muted = colour(&theme.muted);
    // A cancelled row is greyed; its status column alone keeps a colour (the alert).
    let ink = if gone { muted } else { colour(&theme.text) };
    Some(match column {
        // The timetabled time; the status column says how late or early.
        Column::Time => (clock_time(&d.scheduled), ink, true),
        // Minutes from the station's clock; nothing for a bus that has gone or
        // will not come (the status column says which).
        Column::Countdown => {
            let text = if gone || d.status == DepartureStatus::Departed {
                String::new()
            } else if l.departures.walk_s(&d.stop_id) > 0 {
                leave_in(&view.lang, minutes_to(l, view, d))
            } else {
                countdown(&view.lang, minutes_to(l, view, d))
            };
            (text, ink, true)
        }
        Column::Line => return None,
        Column::Destination => (d.headsign.clone(), ink, false),
        Column::Platform => {
            let p = d.platform.clone().unwrap_or_default();
            let ink = if d.platform_changed && !gone {
                colour(&theme.accent)
            } else {
                ink
            };
            (p, ink, d.platform_changed)
        }
        Column::Status => {
            let ink = match d.status {
                DepartureStatus::Cancelled | DepartureStatus::Skipped => colour(&theme.alert),
                DepartureStatus::Delayed => colour(&theme.warning),
                _ => muted,
            };
            (status(&view.lang, d), ink, false)
        }
    })
}

/// The region a column's text is listed under by `--dump-text`.
fn region_of(column: Column) -> &'static str {
    match column {
        Column::Time | Column::Countdown => "time",
        Column::Destination => "destination",
        Column::Platform => "platform",
        Column::Status => "status_column",
        Column::Line => "line",
    }
}

/// One departure's row: a cell per column, and the line through it when it
/// will not run.
fn row(
    l: &Layout,
    fonts: &Fonts,
    view: &View,
    d: &Departure,
    fit: Option<(&crate::names::Measure<'_>, &crate::names::Abbreviations)>,
    texts: &mut Texts,
) -> impl Bundle + use<> {
    let theme = &l.theme;
    let region = l.departures.region;
    let row_height = region.height / l.departures.rows_per_page as f32;
    let cells: Vec<_> = l
        .departures
        .columns
        .iter()
        .map(|&column| {
            // The line's badge, or the column's text.
            let (badge, text) = match cell_text(l, view, d, column) {
                None => (Some(badge(theme.sizes.row, fonts, d, texts)), None),
                Some((text, ink, bold)) => {
                    let size = if column == Column::Status {
                        theme.sizes.small
                    } else {
                        theme.sizes.row
                    };
                    // A destination too wide: abbreviated, or on two lines
                    // (crate::names), never cut inside a word.
                    let (text, size) = match (column, fit) {
                        (Column::Destination, Some((measure, abbreviations))) => {
                            let f = crate::names::destination(l, &text, measure, abbreviations);
                            (f.text, f.size)
                        }
                        _ => (text, size),
                    };
                    // One line per cell: a long destination is clipped by its cell
                    // rather than pushing the row onto two lines.
                    let text = texts.note(region_of(column), text);
                    (None, Some(one_line(text, fonts.style(bold, size), ink)))
                }
            };
            // A changed platform is said in words under it, not by colour
            // alone; how full the bus is, under its status (words and a gauge).
            let under = match column {
                Column::Platform if d.platform_changed && !struck(d) => Some((
                    texts.note("platform", platform_changed(&view.lang, d.mode)),
                    true,
                    colour(&theme.accent),
                )),
                Column::Status if !struck(d) => crate::wording::occupancy(&view.lang, d.occupancy)
                    .map(|o| (texts.note("occupancy", o), false, colour(&theme.text))),
                _ => None,
            };
            let changed = under.map(|(text, bold, ink)| {
                // Small enough for the narrowest column (portrait).
                one_line(text, fonts.style(bold, theme.sizes.fine()), ink)
            });
            (
                Node {
                    width: Val::Px(width_of(column, region.width)),
                    flex_shrink: 0.0,
                    flex_direction: if matches!(column, Column::Platform | Column::Status) {
                        FlexDirection::Column
                    } else {
                        FlexDirection::Row
                    },
                    overflow: Overflow::clip(),
                    ..default()
                },
                Children::spawn((
                    SpawnIter(badge.into_iter()),
                    SpawnIter(text.into_iter()),
                    SpawnIter(changed.into_iter()),
                )),
            )
        })
        .collect();
    let strike = struck(d).then(|| strike_line(l, row_height));
    (
        Node {
            flex_direction: FlexDirection::Row,
            align_items: AlignItems::Center,
            height: Val::Px(row_height),
            padding: UiRect::horizontal(Val::Px(16.0)),
            ..default()
        },
        Children::spawn((SpawnIter(cells.into_iter()), SpawnIter(strike.into_iter()))),
    )
}

/// The line through a cancelled departure.
#[derive(Component, Debug)]
struct StrikeLine;

/// Struck through from the time to the destination's end: the words "supprimé /
/// cancelled" in the status column stay clear of the line.
fn strike_line(l: &Layout, row_height: f32) -> impl Bundle + use<> {
    let columns = &l.departures.columns;
    let status_at = columns
        .iter()
        .position(|&c| c == Column::Status)
        .unwrap_or(columns.len());
    let span: f32 = columns[..status_at]
        .iter()
        .map(|&c| width_of(c, l.departures.region.width))
        .sum();
    (
        StrikeLine,
        Node {
            position_type: PositionType::Absolute,
            left: Val::Px(16.0),
            top: Val::Px(row_height / 2.0 - 2.0),
            width: Val::Px(span),
            height: Val::Px(4.0),
            ..default()
        },
        BackgroundColor(colour(&l.theme.muted)),
    )
}

/// The line's badge: its short name in the route's colours.
fn badge(size: f32, fonts: &Fonts, d: &Departure, texts: &mut Texts) -> impl Bundle + use<> {
    let name = d.route.short_name.clone().unwrap_or_default();
    line_badge(
        &d.route,
        texts.note("line", name),
        fonts.style(true, size),
        false,
    )
}

//! The departures table: line badge in the route's colours, destination, platform
//! (a changed one highlighted), time or countdown, and the status in words. A
//! cancelled or skipped departure stays on the board, greyed and struck through.
//! Pages when there are more rows than fit, with a page indicator; with nothing
//! in the horizon, a calm "service resumes at HH:MM".

use bevy::prelude::*;
use quai_protocol::{Departure, DepartureStatus};

use crate::ScreenSet;
use crate::contrast::{parse_hex, readable_text};
use crate::fonts::Fonts;
use crate::layout::{Column, Layout};
use crate::panel::{Panel, PanelContext, Texts, mount};
use crate::view::View;
use crate::widgets::{colour, place};
use crate::wording::{clock_time, countdown, label, status};

pub fn plugin(app: &mut App) {
    app.add_systems(Update, draw.in_set(ScreenSet::Draw));
}

/// The share of the table's width each column takes.
fn width_of(column: Column, table_width: f32) -> f32 {
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

/// Whole minutes from the station's clock to the departure (expected, else
/// timetabled).
fn minutes_to(view: &View, d: &Departure) -> i64 {
    let when = d.expected.as_deref().unwrap_or(&d.scheduled);
    view.now
        .zip(chrono::DateTime::parse_from_rfc3339(when).ok())
        .map(|(n, w)| (w - n).num_minutes())
        .unwrap_or(0)
}

/// Whether a departure will not happen here (it stays listed, struck through).
pub fn struck(d: &Departure) -> bool {
    matches!(
        d.status,
        DepartureStatus::Cancelled | DepartureStatus::Skipped
    )
}

fn draw(p: PanelContext) {
    let PanelContext {
        mut commands,
        layout,
        fonts,
        view,
        live,
        mut drawn,
        old,
    } = p;
    let board = live.board.as_ref();
    let per_page = layout.layout.departures.rows_per_page;
    // The countdowns on the page: each turns at its own second.
    let countdowns: Vec<i64> = board.map_or_else(Vec::new, |b| {
        view.departures(b)
            .skip(view.page * per_page)
            .take(per_page)
            .map(|d| minutes_to(&view, d))
            .collect()
    });
    let key = (
        view.generation,
        board.map(|b| b.seq),
        live.updates,
        view.page,
        view.lang_index,
        view.live,
        &view.shown,
        countdowns,
    );
    if !drawn.needs(Panel::Departures, &key) {
        return;
    }
    let l = &layout.layout;
    let mut texts = Texts::default();
    let table = commands.spawn(place(l.departures.region)).id();
    if let Some(board) = board {
        if view.shown.is_empty() {
            let text = match &board.next_service {
                Some(next) => format!("{} {}", label(&view.lang, "no_service"), clock_time(next)),
                None => label(&view.lang, "no_service").to_string(),
            };
            let t = commands
                .spawn((
                    Text::new(texts.note("departures", text)),
                    fonts.style(false, l.theme.sizes.row),
                    TextColor(colour(&l.theme.muted)),
                ))
                .id();
            commands.entity(table).add_child(t);
        }
        for d in view
            .departures(board)
            .skip(view.page * per_page)
            .take(per_page)
        {
            let row = row(&mut commands, l, &fonts, &view, d, &mut texts);
            commands.entity(table).add_child(row);
        }
        if view.pages > 1 {
            let t = commands
                .spawn((
                    Text::new(texts.note("page", format!("{}/{}", view.page + 1, view.pages))),
                    fonts.style(false, l.theme.sizes.small),
                    TextColor(colour(&l.theme.muted)),
                ))
                .id();
            commands.entity(table).add_child(t);
        }
    }
    mount(&mut commands, &view, &old, Panel::Departures, table);
    drawn.drew(Panel::Departures, &key, texts);
}

/// One departure's row.
fn row(
    commands: &mut Commands,
    l: &Layout,
    fonts: &Fonts,
    view: &View,
    d: &Departure,
    texts: &mut Texts,
) -> Entity {
    let theme = &l.theme;
    let region = l.departures.region;
    let row_height = region.height / l.departures.rows_per_page as f32;
    let gone = struck(d);
    let text_colour = colour(&theme.text);
    let muted = colour(&theme.muted);
    // A cancelled row is greyed; its status column alone keeps a colour (the alert).
    let ink = if gone { muted } else { text_colour };
    let row = commands
        .spawn(Node {
            flex_direction: FlexDirection::Row,
            align_items: AlignItems::Center,
            height: Val::Px(row_height),
            padding: UiRect::horizontal(Val::Px(16.0)),
            ..default()
        })
        .id();
    for &column in &l.departures.columns {
        let cell = commands
            .spawn(Node {
                width: Val::Px(width_of(column, region.width)),
                flex_shrink: 0.0,
                overflow: Overflow::clip(),
                ..default()
            })
            .id();
        commands.entity(row).add_child(cell);
        let (text, ink, bold) = match column {
            // The timetabled time; the status column says how late or early.
            Column::Time => (clock_time(&d.scheduled), ink, true),
            // Minutes from the station's clock; nothing for a bus that has gone or
            // will not come (the status column says which).
            Column::Countdown => {
                let minutes = minutes_to(view, d);
                let text = if gone || d.status == DepartureStatus::Departed {
                    String::new()
                } else {
                    countdown(&view.lang, minutes)
                };
                (text, ink, true)
            }
            Column::Line => {
                let badge = badge(commands, theme.sizes.row, fonts, d, texts);
                commands.entity(cell).add_child(badge);
                continue;
            }
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
        // One line per cell: a long destination is clipped by its cell rather than
        // pushing the row onto two lines.
        let t = commands
            .spawn((
                Text::new(texts.note(region_name, text)),
                fonts.style(bold, size),
                TextColor(ink),
                TextLayout::no_wrap(),
            ))
            .id();
        commands.entity(cell).add_child(t);
    }
    if gone {
        // Struck through from the time to the destination's end: the words
        // "supprimé / cancelled" in the status column stay clear of the line.
        let status_at = l
            .departures
            .columns
            .iter()
            .position(|&c| c == Column::Status)
            .unwrap_or(l.departures.columns.len());
        let span: f32 = l.departures.columns[..status_at]
            .iter()
            .map(|&c| width_of(c, region.width))
            .sum();
        let strike = commands
            .spawn((
                StrikeLine,
                Node {
                    position_type: PositionType::Absolute,
                    left: Val::Px(16.0),
                    top: Val::Px(row_height / 2.0 - 2.0),
                    width: Val::Px(span),
                    height: Val::Px(4.0),
                    ..default()
                },
                BackgroundColor(muted),
            ))
            .id();
        commands.entity(row).add_child(strike);
    }
    row
}

/// The line through a cancelled departure.
#[derive(Component, Debug)]
struct StrikeLine;

/// The line's badge: its short name in the route's colours, the text colour
/// corrected when the feed's pair is not readable.
fn badge(
    commands: &mut Commands,
    size: f32,
    fonts: &Fonts,
    d: &Departure,
    texts: &mut Texts,
) -> Entity {
    let bg = parse_hex(&d.route.color).unwrap_or([255, 255, 255]);
    let fg = readable_text(bg, parse_hex(&d.route.text_color).unwrap_or([0, 0, 0]));
    let name = d.route.short_name.clone().unwrap_or_default();
    commands
        .spawn((
            Node {
                padding: UiRect::axes(Val::Px(10.0), Val::Px(2.0)),
                min_width: Val::Px(size * 1.6),
                justify_content: JustifyContent::Center,
                ..default()
            },
            BackgroundColor(Color::srgb_u8(bg[0], bg[1], bg[2])),
        ))
        .with_children(|b| {
            b.spawn((
                Text::new(texts.note("line", name)),
                fonts.style(true, size),
                TextColor(Color::srgb_u8(fg[0], fg[1], fg[2])),
            ));
        })
        .id()
}

//! The facilities panel: each carpool area, car park or bike-share station of
//! the board, with its free places in words ("12 places libres sur 40"),
//! "complet" / "full" in the alert colour, its PMR places, and "information
//! indisponible" / "information unavailable" when its sensors are silent.
//! When more facilities than fit in the region are on the board (a source
//! may bring a whole town's car parks), they are shown a page at a time,
//! turning with the departures' pages ([`page_s`]).

use bevy::prelude::*;
use quai_protocol::{Facility, FacilityKind, FacilityStatus};

use crate::ScreenSet;
use crate::panel::{Panel, PanelInputs, Redraw};
use crate::widgets::{colour, one_line, place};

pub fn plugin(app: &mut App) {
    app.add_systems(Update, draw.in_set(ScreenSet::Draw));
}

/// How a facility's state is written, in `lang`.
pub fn state(lang: &str, f: &Facility) -> String {
    let fr = lang == "fr";
    match (f.status, f.free) {
        (FacilityStatus::Full, _) => if fr { "complet" } else { "full" }.into(),
        (FacilityStatus::Closed, _) => if fr { "fermé" } else { "closed" }.into(),
        // A bike-share station counts its bikes, not free places.
        (_, Some(free)) if f.kind == FacilityKind::BikeShare => match (fr, free) {
            (true, 0) => "aucun vélo disponible".into(),
            (true, 1) => "1 vélo disponible".into(),
            (true, n) => format!("{n} vélos disponibles"),
            (false, 1) => "1 bike available".into(),
            (false, n) => format!("{n} bikes available"),
        },
        (_, Some(free)) if f.unknown == 0 => {
            let of = |word: &str| {
                f.capacity
                    .map(|c| format!(" {word} {c}"))
                    .unwrap_or_default()
            };
            if fr {
                let libres = if free == 1 { "libre" } else { "libres" };
                let what = if free == 1 { "place" } else { "places" };
                format!("{free} {what} {libres}{}", of("sur"))
            } else {
                format!("{free} free{}", of("of"))
            }
        }
        // Some places unknown and none known free: not "full".
        (_, Some(0)) => if fr {
            "aucune place libre signalée"
        } else {
            "no free place reported"
        }
        .into(),
        // Some places unknown: what is known, said as such.
        (_, Some(free)) => {
            let of = |word: &str| {
                f.capacity
                    .map(|c| format!(" {word} {c}"))
                    .unwrap_or_default()
            };
            if fr {
                format!("au moins {free} libre(s){}", of("sur"))
            } else {
                format!("at least {free} free{}", of("of"))
            }
        }
        _ => if fr {
            "information indisponible"
        } else {
            "information unavailable"
        }
        .into(),
    }
}

fn pmr(lang: &str, f: &Facility) -> Option<String> {
    let n = f.capacity_pmr.filter(|&n| n > 0)?;
    Some(if lang == "fr" {
        format!("dont {n} place(s) PMR")
    } else {
        format!("{n} accessible place(s)")
    })
}

/// How long each page of facilities stays: as long as a page of departures
/// (the screen changes at one rhythm, so it draws fewer frames), else 8 s.
pub fn page_s(l: &crate::layout::Layout) -> f64 {
    if l.departures.paging_s > 0.0 {
        f64::from(l.departures.paging_s)
    } else {
        8.0
    }
}

/// Whether the layout's facilities region turns pages: more facilities
/// than fit on one.
pub fn turning(l: &crate::layout::Layout, facilities: &[Facility]) -> bool {
    l.facilities
        .is_some_and(|r| facilities.len() > per_page(r.height, l.theme.sizes.small))
}

/// How many facilities fit in a region `height` px high, with text of
/// `small` px: a name and a PMR line in fine print and a state in `small`
/// each, and the gaps.
pub fn per_page(height: f32, small: f32) -> usize {
    let row = small * (2.0 * crate::layout::FINE + 1.0) * 1.25 + 8.0;
    (((height - 20.0) / row).floor() as usize).max(1)
}

/// The facilities on the page shown `elapsed_s` seconds after start, each
/// page staying `page_s`.
pub fn on_page(
    facilities: &[Facility],
    per_page: usize,
    elapsed_s: f64,
    page_s: f64,
) -> &[Facility] {
    let pages = facilities.len().div_ceil(per_page.max(1)).max(1);
    let page = (elapsed_s / page_s.max(1.0)).floor() as usize % pages;
    let start = page * per_page;
    &facilities[start.min(facilities.len())..(start + per_page).min(facilities.len())]
}

fn draw(p: PanelInputs, mut redraw: Redraw) {
    let (l, lang) = (&p.layout.layout, &p.view.lang);
    let all = p.live.board.as_ref().map_or(&[][..], |b| &b.facilities[..]);
    let region = l.facilities.filter(|_| !all.is_empty());
    let facilities = match region {
        Some(r) => on_page(
            all,
            per_page(r.height, l.theme.sizes.small),
            p.view.elapsed_s,
            page_s(l),
        ),
        None => all,
    };
    // Not live (the server unreachable, or a board kept from an earlier run):
    // counts of then are not said as counts of now.
    let live = p.view.live;
    let key = region.map(|_| (facilities.to_vec(), lang.clone(), live));
    redraw.panel(Panel::Facilities, key, |texts| {
        let region = region?;
        let theme = &l.theme;
        let rows: Vec<_> = facilities
            .iter()
            .map(|f| {
                let ink = match f.status {
                    FacilityStatus::Full | FacilityStatus::Closed => colour(&theme.alert),
                    FacilityStatus::Unknown => colour(&theme.muted),
                    FacilityStatus::Open => colour(&theme.accent),
                };
                let name = one_line(
                    texts.note("facilities", f.name.clone()),
                    p.fonts.style(true, theme.sizes.fine()),
                    colour(&theme.text),
                );
                let said = if live {
                    state(lang, f)
                } else {
                    state(
                        lang,
                        &Facility {
                            status: FacilityStatus::Unknown,
                            free: None,
                            ..f.clone()
                        },
                    )
                };
                let ink = if live { ink } else { colour(&theme.muted) };
                let state = one_line(
                    texts.note("facilities", said),
                    p.fonts.style(true, theme.sizes.small),
                    ink,
                );
                let pmr = pmr(lang, f).map(|t| {
                    one_line(
                        texts.note("facilities", t),
                        p.fonts.style(false, theme.sizes.fine()),
                        colour(&theme.muted),
                    )
                });
                (
                    Node {
                        flex_direction: FlexDirection::Column,
                        ..default()
                    },
                    Children::spawn((Spawn(name), Spawn(state), SpawnIter(pmr.into_iter()))),
                )
            })
            .collect();
        Some((
            Node {
                padding: UiRect::axes(Val::Px(16.0), Val::Px(10.0)),
                row_gap: Val::Px(8.0),
                ..place(region)
            },
            BackgroundColor(colour(&theme.background).lighter(0.06)),
            Children::spawn(SpawnIter(rows.into_iter())),
        ))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_facilities_turn_a_page_at_a_time() {
        let f = |n: u32| Facility {
            id: format!("f{n}"),
            ..area(Some(n), 0, FacilityStatus::Open)
        };
        let all: Vec<Facility> = (0..5).map(f).collect();
        // The shipped layouts' regions (110 and 140 px, small text 28 px): one.
        assert_eq!(per_page(110.0, 28.0), 1);
        assert_eq!(per_page(140.0, 28.0), 1);
        assert_eq!(per_page(400.0, 28.0), 3);
        assert_eq!(on_page(&all, 1, 0.0, 8.0)[0].id, "f0");
        assert_eq!(on_page(&all, 1, 8.5, 8.0)[0].id, "f1");
        assert_eq!(on_page(&all, 1, 5.0 * 8.0, 8.0)[0].id, "f0", "round again");
        let last = on_page(&all, 3, 9.0, 8.0);
        assert_eq!(
            last.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
            ["f3", "f4"]
        );
        assert!(on_page(&[], 3, 9.0, 8.0).is_empty());
    }

    #[test]
    fn bike_share_counts_bikes_and_is_never_full() {
        let bikes = |n| Facility {
            kind: FacilityKind::BikeShare,
            capacity: Some(10),
            capacity_pmr: None,
            occupied: None,
            ..area(Some(n), 0, FacilityStatus::Open)
        };
        assert_eq!(state("fr", &bikes(4)), "4 vélos disponibles");
        assert_eq!(state("fr", &bikes(1)), "1 vélo disponible");
        assert_eq!(state("fr", &bikes(0)), "aucun vélo disponible");
        assert_eq!(state("en", &bikes(4)), "4 bikes available");
    }

    fn area(free: Option<u32>, unknown: u32, status: FacilityStatus) -> Facility {
        Facility {
            id: "a".into(),
            name: "Aire de covoiturage de Caudry".into(),
            kind: FacilityKind::Carpool,
            capacity: Some(40),
            capacity_pmr: Some(2),
            capacity_ev: None,
            free,
            occupied: free.map(|f| 40u32.saturating_sub(f + unknown)),
            unknown,
            status,
            updated_at: None,
            vehicle_types: Vec::new(),
        }
    }

    #[test]
    fn free_places_full_and_unknown_in_words() {
        let open = area(Some(12), 0, FacilityStatus::Open);
        assert_eq!(state("fr", &open), "12 places libres sur 40");
        assert_eq!(state("en", &open), "12 free of 40");
        assert_eq!(
            state("fr", &area(Some(1), 0, FacilityStatus::Open)),
            "1 place libre sur 40"
        );
        assert_eq!(
            state("fr", &area(Some(0), 0, FacilityStatus::Full)),
            "complet"
        );
        assert_eq!(state("en", &area(Some(0), 0, FacilityStatus::Full)), "full");
        assert_eq!(
            state("fr", &area(Some(3), 5, FacilityStatus::Open)),
            "au moins 3 libre(s) sur 40"
        );
        assert_eq!(
            state("fr", &area(Some(0), 5, FacilityStatus::Open)),
            "aucune place libre signalée"
        );
        assert_eq!(
            state("fr", &area(None, 40, FacilityStatus::Unknown)),
            "information indisponible"
        );
        assert_eq!(pmr("fr", &open).as_deref(), Some("dont 2 place(s) PMR"));
    }
}

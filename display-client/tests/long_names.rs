//! Every shipped screen layout sets every stop name of the SNCF TER feed
//! (the longest first) (`$QUAI_FIXTURES/gtfs/sncf-ter-2025-01`, the real data of the
//! conformance suite) within its destination column, measured with the
//! font it draws with: abbreviated by `layouts/abbreviations.ron`, else on
//! two lines, else cut after a whole word; never inside one.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use display_client::Layout;
use display_client::names::{Abbreviations, Measure, check_in, destination};

fn fixtures() -> PathBuf {
    PathBuf::from(
        std::env::var("QUAI_FIXTURES")
            .expect("QUAI_FIXTURES: the folder of the third-party fixtures (../shared/fixtures)"),
    )
}

/// The `n` longest stop names of the TER feed, longest first (distinct).
fn longest_ter_names(n: usize) -> Vec<String> {
    let path = fixtures().join("gtfs/sncf-ter-2025-01/export-ter-gtfs-last.zip");
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut zip = zip::ZipArchive::new(file).expect("the TER archive");
    let mut text = String::new();
    zip.by_name("stops.txt")
        .expect("stops.txt")
        .read_to_string(&mut text)
        .expect("stops.txt is UTF-8");
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let column = reader
        .headers()
        .expect("a header")
        .iter()
        .position(|h| h == "stop_name")
        .expect("stop_name");
    let mut names: Vec<String> = reader
        .records()
        .filter_map(|r| r.ok()?.get(column).map(str::to_string))
        .collect();
    names.sort_by_key(|s| std::cmp::Reverse(s.chars().count()));
    names.dedup();
    names.truncate(n);
    names
}

#[test]
fn every_shipped_layout_sets_every_ter_stop_name_in_whole_words() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let data = std::fs::read(root.join("assets/fonts/DejaVuSans.ttf")).expect("the font");
    let measure = Measure::new(&data).expect("a font");
    let abbreviations =
        Abbreviations::load(&root.join("layouts/abbreviations.ron")).expect("the table");
    // Every stop name of the feed, longest first (3,800 or so: measuring is cheap).
    let names = longest_ter_names(usize::MAX);
    assert!(names[0].chars().count() > 40, "{names:?}");
    let mut two_lines = 0;
    let layouts = [
        "hall-1080p.ron",
        "hall-arrivals-1080p.ron",
        "portrait-1080x1920.ron",
        "platform-sign.ron",
    ];
    for layout in layouts {
        let l = Layout::load(&root.join("layouts").join(layout)).expect("layout");
        for name in &names {
            let fitted = destination(&l, name, &measure, &abbreviations);
            check_in(&l, name, &fitted, &measure, &abbreviations)
                .unwrap_or_else(|e| panic!("{layout}: {e} ({fitted:?})"));
            two_lines += usize::from(fitted.text.contains('\n'));
        }
    }
    println!(
        "{} names × {} layouts, {two_lines} set on two lines",
        names.len(),
        layouts.len()
    );
}

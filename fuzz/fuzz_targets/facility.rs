//! What every facility-document target does with its bytes.

use feed_server::config::{Config, FacilityFormat, FacilitySource};
use feed_server::facility::shown::Shown;
use feed_server::http::facility_exports;
use feed_server::http::siri_sx::render;
use feed_server::sources::facilities::{merge, poller};

/// A source of `format` for the lines (parsed once per input: cheap).
fn source(format: FacilityFormat) -> FacilitySource {
    let status = if format == FacilityFormat::Gbfs {
        "status_url = \"http://127.0.0.1:1/s\"\n"
    } else {
        ""
    };
    let text = format!(
        "[[feeds]]\nid = \"f\"\ngtfs = \"f.zip\"\n[[stations]]\nid = \"s\"\nname = \"S\"\nstops = {{ f = [\"x\"] }}\n\
         [[facility_sources]]\nid = \"src\"\nformat = \"{}\"\nurl = \"http://127.0.0.1:1/\"\n{status}stations = [\"s\"]\n",
        format.name()
    );
    Config::parse(&text, "fuzz.toml", std::path::Path::new("/"))
        .expect("fuzz configuration")
        .facility_sources
        .remove(0)
}

/// The input as definitions and as statuses (whichever it can be: a GBFS
/// document is one or the other), laid over each other, shown as lines and
/// written out in both exports.
pub fn check(format: FacilityFormat, data: &[u8]) {
    let main = poller::parse_main(format, data).ok();
    let status = poller::parse_status(format, data).ok();
    if main.is_none() && status.is_none() {
        return;
    }
    let (reports, _) = merge(main.unwrap_or_default(), status.unwrap_or_default());
    let source = source(format);
    let now = chrono::DateTime::<chrono::Utc>::from_timestamp(1_800_000_000, 0).expect("now");
    let shown: Vec<Shown> = reports
        .iter()
        .map(|r| Shown {
            line: feed_server::facility::sourced::line(&source, r, now, now),
            stations: Vec::new(),
            position: r.position,
            source: None,
        })
        .collect();
    // What a line counts never exceeds its capacity, when it has one.
    for s in &shown {
        let l = &s.line;
        let counted = u64::from(l.free.unwrap_or(0))
            + u64::from(l.occupied.unwrap_or(0))
            + u64::from(l.unknown);
        if let Some(c) = l.capacity
            && l.kind != quai_protocol::FacilityKind::BikeShare
        {
            assert!(counted <= u64::from(c), "{l:?}");
        }
    }
    let _ = render::xml(&facility_exports::siri_fm(&shown, now));
    let _ = render::xml(&facility_exports::datex2_status(&shown, now));
}

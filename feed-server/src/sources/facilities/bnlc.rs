//! The French national carpool-area base (Base nationale des lieux de
//! covoiturage, schema `etalab/schema-lieux-covoiturage` 0.3): a CSV of
//! static definitions, one area per line (`id_lieu` or `id_local`,
//! `nom_lieu`, `type`, `nbre_pl`, `nbre_pmr`, `Xlong`/`Ylat`, `horaires`).
//! It counts nothing live: an area from it shows its places and says the
//! free ones are not known, unless sensors or another source count them.

use super::{DocumentError, MAX_FACILITIES, Report, clean_id, count, position};
use quai_protocol::FacilityKind;

/// Parses the CSV (comma or semicolon separated, UTF-8 with or without BOM).
pub fn parse(bytes: &[u8]) -> Result<Vec<Report>, DocumentError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first_line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let delimiter = if first_line.iter().filter(|b| **b == b';').count()
        > first_line.iter().filter(|b| **b == b',').count()
    {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(bytes);
    let headers = reader.byte_headers()?.clone();
    let headers: Vec<String> = headers
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let id_col = column("id_lieu").or_else(|| column("id_local"));
    let (Some(id_col), Some(name_col)) = (id_col, column("nom_lieu")) else {
        return Err(DocumentError::shape(
            "no id_lieu/id_local or nom_lieu column: not a BNLC file",
        ));
    };
    let (places, pmr, kind, lon, lat) = (
        column("nbre_pl"),
        column("nbre_pmr"),
        column("type"),
        column("Xlong"),
        column("Ylat"),
    );
    let mut out = Vec::new();
    // A line that is not UTF-8 is read with its bad bytes replaced: one
    // broken name does not lose the whole base.
    for record in reader.byte_records() {
        let record = record?;
        let record: Vec<String> = record
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect();
        if out.len() >= MAX_FACILITIES {
            return Err(DocumentError::shape(format!(
                "more than {MAX_FACILITIES} areas"
            )));
        }
        let field = |c: Option<usize>| {
            c.and_then(|c| record.get(c))
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
        };
        let Some(id) = field(Some(id_col)).and_then(clean_id) else {
            continue;
        };
        let float = |c| field(c).and_then(|t| t.replace(',', ".").parse::<f64>().ok());
        let kind = match field(kind).map(str::to_lowercase) {
            Some(t) if t.contains("parking relais") => FacilityKind::ParkAndRide,
            _ => FacilityKind::Carpool,
        };
        out.push(Report {
            id,
            name: field(Some(name_col)).map(str::to_string),
            kind: Some(kind),
            position: position(float(lat), float(lon)),
            capacity: field(places).and_then(count),
            capacity_pmr: field(pmr).and_then(count),
            ..Report::default()
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_of_the_national_base() {
        let csv = "id_lieu,id_local,nom_lieu,ad_lieu,com_lieu,insee,type,date_maj,ouvert,source,Xlong,Ylat,nbre_pl,nbre_pmr,duree,horaires,proprio,lumiere,comm\n\
            59139-C-001,CAUDRY-01,Aire de covoiturage de Caudry,Rue de la Gare,Caudry,59139,Aire de covoiturage,2026-01-05,true,CA2C,3.4106,50.1256,40,2,,24/7,CA2C,true,\n\
            ,,sans id,,,,,,,,,,,,,,,,\n\
            59139-P-002,,\"Parking relais, gare\",,Caudry,59139,Parking relais,2026-01-05,true,CA2C,3.41,50.12,abc,,,,,,\n";
        let areas = parse(csv.as_bytes()).expect("parse");
        assert_eq!(areas.len(), 2, "a line without an id is skipped");
        assert_eq!(areas[0].id, "59139-C-001");
        assert_eq!(
            (areas[0].capacity, areas[0].capacity_pmr),
            (Some(40), Some(2))
        );
        assert_eq!(areas[0].position, Some((50.1256, 3.4106)));
        assert_eq!(areas[1].kind, Some(FacilityKind::ParkAndRide));
        assert_eq!(areas[1].capacity, None, "`abc` is no count");
        let semi = "id_local;nom_lieu;nbre_pl\nA;Aire A;12\n";
        assert_eq!(
            parse(semi.as_bytes()).expect("semicolons")[0].capacity,
            Some(12)
        );
        assert!(parse(b"a,b\n1,2\n").is_err());
    }
}

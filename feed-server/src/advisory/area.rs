//! Does a CAP area cover a station's place?

use super::cap::Area;
use crate::config::Place;

impl Place {
    pub fn covered_by(&self, area: &Area) -> bool {
        area.polygons
            .iter()
            .any(|p| contains(p, self.lat, self.lon))
            || area
                .circles
                .iter()
                .any(|&(lat, lon, km)| distance_km(lat, lon, self.lat, self.lon) <= km)
            || area.geocodes.iter().any(|(name, value)| {
                self.codes.iter().any(|c| match c.split_once('=') {
                    Some((n, v)) => n.eq_ignore_ascii_case(name) && v == value,
                    None => c == value,
                })
            })
    }
}

/// Ray casting on (lat, lon) treated as plane coordinates: fine at the scale of a
/// warning area (no polygon crosses the antimeridian here).
pub fn contains(ring: &[(f64, f64)], lat: f64, lon: f64) -> bool {
    let mut inside = false;
    let n = ring.len();
    if n < 3 {
        return false;
    }
    let mut j = n - 1;
    for i in 0..n {
        let (yi, xi) = ring[i];
        let (yj, xj) = ring[j];
        if (yi > lat) != (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// Great-circle distance (haversine), in km.
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6371.0 * a.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAUDRY: (f64, f64) = (50.1116, 3.4098);

    #[test]
    fn points_in_and_out_of_polygons() {
        let square = [
            (50.0, 3.0),
            (51.0, 3.0),
            (51.0, 4.0),
            (50.0, 4.0),
            (50.0, 3.0),
        ];
        assert!(contains(&square, CAUDRY.0, CAUDRY.1));
        assert!(!contains(&square, 49.9, 3.5));
        assert!(!contains(&square, 50.5, 4.1));
        // A concave "C" shape: the notch is outside.
        let c = [
            (50.0, 3.0),
            (51.0, 3.0),
            (51.0, 4.0),
            (50.8, 4.0),
            (50.8, 3.2),
            (50.2, 3.2),
            (50.2, 4.0),
            (50.0, 4.0),
        ];
        assert!(contains(&c, 50.5, 3.1));
        assert!(!contains(&c, 50.5, 3.8));
        assert!(contains(&c, CAUDRY.0, CAUDRY.1 + 0.4));
        // Many vertices: a 720-gon approximating a circle of radius 0.5 degree.
        let ring: Vec<(f64, f64)> = (0..720)
            .map(|i| {
                let a = (i as f64).to_radians() / 2.0;
                (50.0 + 0.5 * a.sin(), 3.0 + 0.5 * a.cos())
            })
            .collect();
        assert!(contains(&ring, 50.0, 3.0));
        assert!(contains(&ring, 50.49, 3.0));
        assert!(!contains(&ring, 50.51, 3.0));
    }

    #[test]
    fn circles_and_geocodes() {
        let place = Place {
            lat: CAUDRY.0,
            lon: CAUDRY.1,
            codes: vec!["EMMA_ID=FR059".into(), "59".into()],
        };
        // Cambrai is about 15 km from Caudry.
        let near = Area {
            circles: vec![(50.1755, 3.2345, 20.0)],
            ..Area::default()
        };
        let far = Area {
            circles: vec![(50.1755, 3.2345, 10.0)],
            ..Area::default()
        };
        assert!(place.covered_by(&near));
        assert!(!place.covered_by(&far));
        let code = |n: &str, v: &str| Area {
            geocodes: vec![(n.into(), v.into())],
            ..Area::default()
        };
        assert!(place.covered_by(&code("EMMA_ID", "FR059")));
        assert!(!place.covered_by(&code("NUTS3", "FR059")));
        assert!(place.covered_by(&code("dept", "59")));
        assert!(!place.covered_by(&code("EMMA_ID", "FR062")));
        let d = distance_km(50.1116, 3.4098, 50.1755, 3.2345);
        assert!((13.0..15.0).contains(&d), "{d}");
    }
}

//! `[[stations]]`: which stops of which feeds make a station, and what its
//! screens advertise (its Wi-Fi) and where it is (for weather warnings).

use std::collections::BTreeMap;

use chrono_tz::Tz;

use super::Invalid;
use super::endpoint::HttpUrl;
use super::file::{AreaSection, StationSection, WifiSection};
use crate::id::{FeedId, InvalidId, StationId};

#[derive(Debug, Clone)]
pub struct StationConfig {
    pub id: StationId,
    pub name: String,
    /// None: the timezone of the station's first feed.
    pub timezone: Option<Tz>,
    /// Feed -> stop ids (stops or parent stations) in that feed.
    pub stops: BTreeMap<FeedId, Vec<String>>,
    pub wifi: Option<WifiConfig>,
    /// Where the station is, for weather warnings; None: no advisories.
    pub area: Option<Place>,
    /// Whether its board also lists arrivals (`Board.arrivals`).
    pub arrivals: bool,
}

/// A station's place and the area codes it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub lat: f64,
    pub lon: f64,
    /// Area codes: a bare value (`FR059`) matches any geocode with that value;
    /// `NAME=VALUE` (`EMMA_ID=FR059`) only that kind of geocode.
    pub codes: Vec<String>,
}

/// How a Wi-Fi network is secured, as `WIFI:` QR codes write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WifiSecurity {
    /// `nopass`: an open network.
    Open,
    /// `WPA`: WPA/WPA2/WPA3 personal.
    Wpa,
    Wep,
}

impl WifiSecurity {
    pub fn as_str(self) -> &'static str {
        match self {
            WifiSecurity::Open => "nopass",
            WifiSecurity::Wpa => "WPA",
            WifiSecurity::Wep => "WEP",
        }
    }
}

/// The station's public Wi-Fi, as screens advertise it and the captive portal API
/// (RFC 8908) describes it.
#[derive(Debug, Clone)]
pub struct WifiConfig {
    pub ssid: String,
    pub security: WifiSecurity,
    /// Set exactly when the network is not open.
    pub password: Option<String>,
    /// The splash page (`user-portal-url`).
    pub portal_url: Option<HttpUrl>,
    pub venue_info_url: Option<HttpUrl>,
    /// Length of a session once the terms are accepted (`seconds-remaining`).
    pub session_s: Option<u64>,
    pub can_extend: bool,
    /// Where the splash page's "accept" button may lead (`/portal?continue=`):
    /// URLs starting with one of these (the access point's own pages), or a
    /// path on this server. Anything else is dropped: no open redirect.
    pub continue_urls: Vec<HttpUrl>,
}

impl WifiConfig {
    /// Whether the splash page may send a phone to `url` after "accept".
    pub fn may_continue_to(&self, url: &str) -> bool {
        let local_path = url.starts_with('/') && !url.starts_with("//") && !url.contains('\\');
        local_path
            || self
                .continue_urls
                .iter()
                .any(|p| url.starts_with(p.as_str()))
    }
}

impl StationConfig {
    /// Validates one `[[stations]]` table; `feeds` are the configured feeds.
    pub(super) fn from_file(s: StationSection, feeds: &[FeedId]) -> Result<StationConfig, Invalid> {
        let id: StationId =
            s.id.parse()
                .map_err(|e: InvalidId| Invalid::new("id", e.to_string()))?;
        if s.name.trim().is_empty() {
            return Err(Invalid::new("name", "must not be empty"));
        }
        let timezone = s
            .timezone
            .map(|name| {
                name.parse::<Tz>().map_err(|_| {
                    Invalid::new(
                        "timezone",
                        format!("`{name}` is not an IANA timezone (e.g. Europe/Paris)"),
                    )
                })
            })
            .transpose()?;
        if s.stops.is_empty() || s.stops.values().all(Vec::is_empty) {
            return Err(Invalid::new(
                "stops",
                "name at least one stop, e.g. stops = { ter = [\"StopArea:OCE87345561\"] }",
            ));
        }
        let mut stops = BTreeMap::new();
        for (feed, ids) in s.stops {
            let Some(known) = feeds.iter().find(|f| f.as_str() == feed) else {
                return Err(Invalid::new(
                    format!("stops.{feed}"),
                    format!("no feed has the id `{feed}`"),
                ));
            };
            stops.insert(known.clone(), ids);
        }
        let wifi = s
            .wifi
            .map(|w| wifi(w).map_err(|e| e.under("wifi")))
            .transpose()?;
        let area = s.area.map(place).transpose()?;
        Ok(StationConfig {
            id,
            name: s.name,
            timezone,
            stops,
            wifi,
            area,
            arrivals: s.arrivals,
        })
    }
}

fn place(a: AreaSection) -> Result<Place, Invalid> {
    if !(-90.0..=90.0).contains(&a.lat) || !(-180.0..=180.0).contains(&a.lon) {
        return Err(Invalid::new(
            "area",
            "lat must be within ±90 and lon within ±180",
        ));
    }
    Ok(Place {
        lat: a.lat,
        lon: a.lon,
        codes: a.codes,
    })
}

fn wifi(w: WifiSection) -> Result<WifiConfig, Invalid> {
    if w.ssid.trim().is_empty() {
        return Err(Invalid::new("ssid", "must not be empty"));
    }
    let security = match w.security.as_str() {
        "nopass" => WifiSecurity::Open,
        "WPA" => WifiSecurity::Wpa,
        "WEP" => WifiSecurity::Wep,
        other => {
            return Err(Invalid::new(
                "security",
                format!("`{other}` is not one of nopass, WPA, WEP"),
            ));
        }
    };
    match (security, &w.password) {
        (WifiSecurity::Open, Some(_)) => {
            return Err(Invalid::new(
                "password",
                "an open network (security = \"nopass\") has no password",
            ));
        }
        (WifiSecurity::Wpa | WifiSecurity::Wep, None) => {
            return Err(Invalid::new(
                "password",
                format!("a {} network needs a password", security.as_str()),
            ));
        }
        _ => {}
    }
    let url = |key: &str, v: Option<String>| {
        v.map(|u| HttpUrl::parse(&u))
            .transpose()
            .map_err(|r| Invalid::new(key, r))
    };
    Ok(WifiConfig {
        ssid: w.ssid,
        security,
        password: w.password,
        portal_url: url("portal_url", w.portal_url)?,
        venue_info_url: url("venue_info_url", w.venue_info_url)?,
        session_s: w.session_s,
        can_extend: w.can_extend,
        continue_urls: w
            .continue_urls
            .iter()
            .map(|u| {
                HttpUrl::parse(u)
                    .ok()
                    .filter(|u| u.as_str().matches('/').count() >= 3)
                    .ok_or_else(|| {
                        Invalid::new(
                            "continue_urls",
                            format!("`{u}`: write an http(s) URL with its path, e.g. https://ap.example/"),
                        )
                    })
            })
            .collect::<Result<_, _>>()?,
    })
}

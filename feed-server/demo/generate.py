#!/usr/bin/env python3
"""Generate Quai's embedded demo GTFS feed for the Caudry multimodal hub.

EVERYTHING IN THIS FEED IS FICTIONAL. The bus network (line numbers, routes,
stops served, timetables) is invented. The TER trains are *modelled* on the
stopping patterns, running times and Caudry departure times seen in the SNCF
TER open-data GTFS of January 2025; they are a simplified model, not an
extract, and must not be used to plan a real journey.

Standard library only; deterministic. Run from the repository root:

    python3 feed-server/demo/generate.py

The files are written to feed-server/demo/gtfs/ (next to this script).
"""

import csv
import datetime
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parent / "gtfs"

FEED_START = "20250101"
FEED_END = "20351231"
FEED_VERSION = "2025.1-demo"

WEEKDAY, SATURDAY, SUNDAY = "WEEKDAY", "SATURDAY", "SUNDAY"

# --------------------------------------------------------------------------
# Agencies
# --------------------------------------------------------------------------
AGENCIES = [
    # agency_id, agency_name, agency_url
    ("CA2C", "Réseau Caudrésis-Catésis (démo)", "https://example.org/quai-demo/ca2c"),
    ("TER", "TER Hauts-de-France (démo)", "https://example.org/quai-demo/ter"),
]

# --------------------------------------------------------------------------
# Stops
# --------------------------------------------------------------------------
# The hub. Coordinates of the station building as published by SNCF; bays and
# platforms are placed a few metres around it.
HUB = ("CAUDRY", "Caudry – Pôle d'échanges", 50.111620, 3.409850)
HUB_NAME = HUB[1]
# child stop id -> (lat, lon, platform_code)
HUB_CHILDREN = [
    ("CAUDRY:A", 50.111890, 3.409020, "A"),
    ("CAUDRY:B", 50.111930, 3.409320, "B"),
    ("CAUDRY:C", 50.111970, 3.409620, "C"),
    ("CAUDRY:D", 50.112010, 3.409920, "D"),
    ("CAUDRY:E", 50.112050, 3.410220, "E"),
    ("CAUDRY:F", 50.112090, 3.410520, "F"),
    ("CAUDRY:V1", 50.111380, 3.409540, "1"),
    ("CAUDRY:V2", 50.111300, 3.409860, "2"),
]

# Stand-alone stops: stop_id, stop_name, lat, lon
STOPS = [
    # --- Caudry town ---
    ("CAUDRY_HDV", "Caudry – Hôtel de Ville", 50.125300, 3.411700),
    ("CAUDRY_MUSEE", "Caudry – Musée des Dentelles", 50.127000, 3.405000),
    ("CAUDRY_BASILIQUE", "Caudry – Basilique Sainte-Maxellende", 50.124000, 3.408000),
    ("CAUDRY_HOPITAL", "Caudry – Hôpital", 50.130000, 3.418000),
    ("CAUDRY_LYCEE", "Caudry – Lycée", 50.118500, 3.401000),
    # --- line 1 (Cambrai) ---
    ("BEAUVOIS_MAIRIE", "Beauvois-en-Cambrésis – Mairie", 50.137500, 3.378000),
    ("CATTENIERES_EGLISE", "Cattenières – Église", 50.133000, 3.333000),
    ("AWOINGT_CENTRE", "Awoingt – Centre", 50.153000, 3.272000),
    ("CAMBRAI_GARE_ROUTIERE", "Cambrai – Gare routière", 50.177200, 3.242500),
    # --- line 2 (Le Cateau) ---
    ("INCHY_MAIRIE", "Inchy – Mairie", 50.120300, 3.466700),
    ("NEUVILLY_PLACE", "Neuvilly – Place", 50.141700, 3.520000),
    ("MONTAY_EGLISE", "Montay – Église", 50.125300, 3.541700),
    ("LECATEAU_HDV", "Le Cateau-Cambrésis – Hôtel de Ville", 50.103600, 3.542800),
    # --- line 3 (Saint-Quentin) ---
    ("LIGNY_MAIRIE", "Ligny-en-Cambrésis – Mairie", 50.101400, 3.376700),
    ("CLARY_PLACE", "Clary – Place", 50.077800, 3.401100),
    ("MARETZ_EGLISE", "Maretz – Église", 50.046900, 3.418100),
    ("BOHAIN_PLACE", "Bohain-en-Vermandois – Place", 49.985600, 3.454700),
    ("FRESNOY_MAIRIE", "Fresnoy-le-Grand – Mairie", 49.947800, 3.417500),
    ("SAINT_QUENTIN_GARE_ROUTIERE", "Saint-Quentin – Gare routière", 49.841000, 3.295500),
    # --- line 4 (Valenciennes) ---
    ("QUIEVY_MAIRIE", "Quiévy – Mairie", 50.170600, 3.428300),
    ("SOLESMES_PLACE", "Solesmes – Place", 50.184200, 3.498300),
    ("HAUSSY_EGLISE", "Haussy – Église", 50.217200, 3.473300),
    ("SAULZOIR_CENTRE", "Saulzoir – Centre", 50.240800, 3.446400),
    ("THIANT_MAIRIE", "Thiant – Mairie", 50.304400, 3.449200),
    ("VALENCIENNES_GARE_ROUTIERE", "Valenciennes – Gare routière", 50.362500, 3.516000),
    # --- line 5 (Walincourt-Selvigny – Viesly) ---
    ("WALINCOURT_MAIRIE", "Walincourt-Selvigny – Mairie", 50.071700, 3.331400),
    ("CAULLERY_EGLISE", "Caullery – Église", 50.085800, 3.372500),
    ("BETHENCOURT_PLACE", "Béthencourt – Place", 50.141100, 3.439400),
    ("VIESLY_MAIRIE", "Viesly – Mairie", 50.153600, 3.467500),
    # --- line 6 (Saint-Souplet) ---
    ("BERTRY_PLACE", "Bertry – Place", 50.087500, 3.443100),
    ("MAUROIS_MAIRIE", "Maurois – Mairie", 50.070600, 3.465600),
    ("HONNECHY_EGLISE", "Honnechy – Église", 50.061400, 3.483300),
    ("BUSIGNY_GARE_BUS", "Busigny – Gare", 50.039800, 3.447000),
    ("SAINT_SOUPLET_MAIRIE", "Saint-Souplet – Mairie", 50.056900, 3.532200),
    # --- railway stations (coordinates as published by SNCF) ---
    ("TER:LILLE_FLANDRES", "Lille-Flandres", 50.636577, 3.069870),
    ("TER:DOUAI", "Douai", 50.371673, 3.089958),
    ("TER:MONTIGNY", "Montigny-en-Ostrevent", 50.361510, 3.188369),
    ("TER:SOMAIN", "Somain", 50.355699, 3.277319),
    ("TER:CAMBRAI", "Cambrai", 50.176582, 3.241197),
    ("TER:WAMBAIX", "Wambaix", 50.133856, 3.311485),
    ("TER:CATTENIERES", "Cattenières", 50.128347, 3.333718),
    ("TER:BERTRY", "Bertry", 50.091134, 3.448857),
    ("TER:MAUROIS", "Maurois", 50.068059, 3.455903),
    ("TER:BUSIGNY", "Busigny", 50.039547, 3.446436),
    ("TER:BOHAIN", "Bohain", 49.988418, 3.443168),
    ("TER:FRESNOY", "Fresnoy-le-Grand", 49.949908, 3.432208),
    ("TER:SAINT_QUENTIN", "Saint-Quentin", 49.840025, 3.296958),
    ("TER:TERGNIER", "Tergnier", 49.659129, 3.297253),
    ("TER:CHAUNY", "Chauny", 49.611165, 3.223484),
    ("TER:NOYON", "Noyon", 49.577351, 3.006434),
    ("TER:COMPIEGNE", "Compiègne", 49.421977, 2.823693),
    ("TER:PONT_STE_MAXENCE", "Pont-Sainte-Maxence", 49.309736, 2.602893),
    ("TER:CREIL", "Creil", 49.263775, 2.469293),
    ("TER:PARIS_NORD", "Paris-Nord", 48.880136, 2.354851),
]

# --------------------------------------------------------------------------
# Routes
# --------------------------------------------------------------------------
# route_id, agency_id, short, long, route_type, color, text_color
ROUTES = [
    ("CA2C:1", "CA2C", "1", "Caudry – Cambrai", 3, "C62828", "FFFFFF"),
    ("CA2C:2", "CA2C", "2", "Caudry – Le Cateau-Cambrésis", 3, "F9A825", "000000"),
    ("CA2C:3", "CA2C", "3", "Caudry – Saint-Quentin", 3, "2E7D32", "FFFFFF"),
    ("CA2C:4", "CA2C", "4", "Caudry – Valenciennes", 3, "6A1B9A", "FFFFFF"),
    ("CA2C:5", "CA2C", "5", "Walincourt-Selvigny – Caudry – Viesly", 3, "4FC3F7", "000000"),
    ("CA2C:6", "CA2C", "6", "Caudry – Busigny – Saint-Souplet", 3, "00695C", "FFFFFF"),
    ("CA2C:N", "CA2C", "N", "Navette centre", 3, "AD1457", "FFFFFF"),
    ("TER:K40", "TER", "K40", "Lille-Flandres – Saint-Quentin", 2, "1D4E89", "FFFFFF"),
    ("TER:K13", "TER", "K13", "Paris-Nord – Saint-Quentin – Cambrai", 2, "4A5B6C", "FFFFFF"),
    ("TER:P40", "TER", "P40", "Douai – Saint-Quentin", 2, "2F6F8F", "FFFFFF"),
]

# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def hm(s):
    """'06:20' -> minutes after midnight (may exceed 24:00)."""
    h, m = s.split(":")
    return int(h) * 60 + int(m)


def gtfs_time(minutes):
    return "%02d:%02d:00" % (minutes // 60, minutes % 60)


def hourly(first, last, step=60):
    """Times from first to last (inclusive) every `step` minutes, as 'HH:MM'."""
    out = []
    t = hm(first)
    while t <= hm(last):
        out.append("%02d:%02d" % (t // 60, t % 60))
        t += step
    return out


def reverse_pattern(pattern):
    """Reverse a pattern of (stop_id, arr_offset, dep_offset)."""
    total = pattern[-1][1]
    return [(s, total - dep, total - arr) for (s, arr, dep) in reversed(pattern)]


# --------------------------------------------------------------------------
# Bus lines (all invented). Patterns are outbound (direction_id 0),
# as (stop_id, arrival offset, departure offset) in minutes.
# --------------------------------------------------------------------------
L1 = [("CAUDRY:A", 0, 0), ("CAUDRY_HDV", 4, 4), ("BEAUVOIS_MAIRIE", 10, 10),
      ("CATTENIERES_EGLISE", 15, 15), ("AWOINGT_CENTRE", 22, 22),
      ("CAMBRAI_GARE_ROUTIERE", 30, 30)]
L2 = [("CAUDRY:B", 0, 0), ("CAUDRY_HDV", 4, 4), ("INCHY_MAIRIE", 11, 11),
      ("NEUVILLY_PLACE", 16, 16), ("MONTAY_EGLISE", 21, 21),
      ("LECATEAU_HDV", 26, 26)]
L3 = [("CAUDRY:C", 0, 0), ("LIGNY_MAIRIE", 8, 8), ("CLARY_PLACE", 14, 14),
      ("MARETZ_EGLISE", 20, 20), ("BOHAIN_PLACE", 32, 32),
      ("FRESNOY_MAIRIE", 40, 40), ("SAINT_QUENTIN_GARE_ROUTIERE", 62, 62)]
L4 = [("CAUDRY:D", 0, 0), ("CAUDRY_HDV", 4, 4), ("QUIEVY_MAIRIE", 12, 12),
      ("SOLESMES_PLACE", 20, 20), ("HAUSSY_EGLISE", 26, 26),
      ("SAULZOIR_CENTRE", 32, 32), ("THIANT_MAIRIE", 41, 41),
      ("VALENCIENNES_GARE_ROUTIERE", 55, 55)]
# Line 5 runs *through* Caudry (1-minute dwell at bay E).
L5 = [("WALINCOURT_MAIRIE", 0, 0), ("CAULLERY_EGLISE", 7, 7),
      ("CAUDRY_LYCEE", 12, 12), ("CAUDRY:E", 15, 16),
      ("BETHENCOURT_PLACE", 23, 23), ("VIESLY_MAIRIE", 29, 29)]
L6 = [("CAUDRY:F", 0, 0), ("BERTRY_PLACE", 8, 8), ("MAUROIS_MAIRIE", 13, 13),
      ("HONNECHY_EGLISE", 17, 17), ("BUSIGNY_GARE_BUS", 22, 22),
      ("SAINT_SOUPLET_MAIRIE", 30, 30)]
# Town shuttle: a loop from bay F back to bay F.
NAVETTE = [("CAUDRY:F", 0, 0), ("CAUDRY_HDV", 4, 4), ("CAUDRY_MUSEE", 7, 7),
           ("CAUDRY_BASILIQUE", 10, 10), ("CAUDRY_HOPITAL", 13, 13),
           ("CAUDRY_LYCEE", 15, 15), ("CAUDRY:F", 18, 18)]
# stop_headsign per stop index of the loop ("" = use trip_headsign)
NAVETTE_STOP_HEADSIGNS = ["Centre-ville", "Centre-ville", "Centre-ville",
                          "Pôle d'échanges", "Pôle d'échanges",
                          "Pôle d'échanges", ""]

# line -> (route_id, outbound pattern, headsign dir 0, headsign dir 1,
#          {service: (departures dir 0, departures dir 1)}) ; times at origin
BUS_LINES = [
    ("CA2C:1", L1, "Cambrai", "Caudry – Pôle d'échanges", {
        WEEKDAY: (["05:50", "06:20", "06:50", "07:20", "07:50", "08:20"]
                  + hourly("09:20", "15:20")
                  + ["16:20", "16:50", "17:20", "17:50", "18:20", "19:20",
                     "20:20", "21:20"],
                  ["06:00", "06:30", "07:00", "07:30", "08:00", "08:30"]
                  + hourly("09:30", "15:30")
                  + ["16:30", "17:00", "17:30", "18:00", "18:30", "19:30",
                     "20:30", "21:30"]),
        SATURDAY: (hourly("07:20", "20:20"), hourly("07:30", "20:30")),
        SUNDAY: (hourly("08:20", "20:20", 120),
                 hourly("09:30", "19:30", 120) + ["21:00"]),
    }),
    ("CA2C:2", L2, "Le Cateau-Cambrésis", "Caudry – Pôle d'échanges", {
        WEEKDAY: (["06:15", "07:15", "08:15", "09:15", "11:15", "12:15",
                   "13:15", "14:15", "16:15", "17:15", "18:15", "19:15"],
                  ["06:20", "07:20", "08:20", "10:20", "12:20", "13:20",
                   "14:20", "15:20", "16:50", "17:50", "18:50"]),
        SATURDAY: (hourly("08:15", "18:15", 120), hourly("08:50", "18:50", 120)),
        SUNDAY: (["09:15", "14:15", "18:15"], ["10:20", "15:20", "18:50"]),
    }),
    ("CA2C:3", L3, "Saint-Quentin", "Caudry – Pôle d'échanges", {
        WEEKDAY: (["06:10", "08:10", "12:10", "16:40", "18:10"],
                  ["06:45", "10:45", "13:45", "16:45", "18:15"]),
        SATURDAY: (["08:10", "13:10", "17:10"], ["09:45", "14:45", "18:15"]),
        SUNDAY: (["10:10"], ["17:15"]),
    }),
    ("CA2C:4", L4, "Valenciennes", "Caudry – Pôle d'échanges", {
        WEEKDAY: (["06:05", "07:05", "08:35", "12:05", "14:05", "16:35",
                   "17:35", "18:35"],
                  ["06:30", "07:30", "11:00", "12:30", "16:00", "17:00",
                   "18:00", "19:00"]),
        SATURDAY: (["08:05", "11:05", "14:05", "17:35"],
                   ["09:30", "12:30", "15:30", "18:30"]),
        SUNDAY: (["09:05", "17:05"], ["11:00", "18:30"]),
    }),
    ("CA2C:5", L5, "Viesly", "Walincourt-Selvigny", {
        WEEKDAY: (["06:30", "07:30", "08:30", "10:30", "12:30", "14:30",
                   "16:30", "17:30", "18:30"],
                  ["06:20", "07:20", "08:20", "11:20", "13:20", "16:20",
                   "17:20", "18:20", "19:20"]),
        SATURDAY: (["08:30", "11:30", "14:30", "17:30"],
                   ["09:20", "12:20", "15:20", "18:20"]),
    }),
    ("CA2C:6", L6, "Saint-Souplet", "Caudry – Pôle d'échanges", {
        WEEKDAY: (["06:40", "08:40", "12:10", "13:40", "16:40", "17:40"],
                  ["06:05", "07:05", "08:05", "12:45", "14:15", "17:15",
                   "18:15"]),
        SATURDAY: (["08:40", "12:40", "17:40"], ["09:15", "13:15", "18:15"]),
    }),
]

# One late short working of line 1 that does not serve Caudry and runs past
# midnight (exercises GTFS times >= 24:00:00). Cambrai -> Beauvois.
NIGHT_TRIP = ("CA2C:1", WEEKDAY, "23:50",
              [("CAMBRAI_GARE_ROUTIERE", 0, 0), ("AWOINGT_CENTRE", 8, 8),
               ("CATTENIERES_EGLISE", 14, 14), ("BEAUVOIS_MAIRIE", 20, 20)],
              "Beauvois-en-Cambrésis")

# Town shuttle frequencies: service -> (start, end, headway minutes)
NAVETTE_FREQ = {WEEKDAY: ("07:00", "19:00", 20), SATURDAY: ("09:00", "18:00", 30)}

# --------------------------------------------------------------------------
# TER, modelled on SNCF TER GTFS of January 2025 (see README.md).
# Templates give (stop, arrival, departure) offsets in minutes relative to
# the departure from Caudry; "CAUDRY" is replaced by the platform:
# voie 1 southbound (to Saint-Quentin / Paris), voie 2 northbound
# (to Cambrai / Douai / Lille).
# --------------------------------------------------------------------------
TER_TEMPLATES = {
    # K40 weekday southbound, Lille -> Saint-Quentin (e.g. 843800)
    "K40_S": [("TER:LILLE_FLANDRES", -82, -82), ("TER:DOUAI", -60, -58),
              ("TER:MONTIGNY", -52, -51), ("TER:SOMAIN", -46, -45),
              ("TER:CAMBRAI", -25, -13), ("CAUDRY", -1, 0),
              ("TER:BUSIGNY", 7, 8), ("TER:SAINT_QUENTIN", 23, 23)],
    # same, terminating at Busigny (843818, 843820)
    "K40_S_BUSIGNY": [("TER:LILLE_FLANDRES", -82, -82), ("TER:DOUAI", -60, -58),
                      ("TER:MONTIGNY", -52, -51), ("TER:SOMAIN", -46, -45),
                      ("TER:CAMBRAI", -25, -13), ("CAUDRY", -1, 0),
                      ("TER:BUSIGNY", 8, 8)],
    # same, also calling at Bohain and Fresnoy-le-Grand (843802)
    "K40_S_ALL": [("TER:LILLE_FLANDRES", -81, -81), ("TER:DOUAI", -59, -57),
                  ("TER:MONTIGNY", -51, -50), ("TER:SOMAIN", -45, -44),
                  ("TER:CAMBRAI", -22, -12), ("CAUDRY", -1, 0),
                  ("TER:BUSIGNY", 7, 8), ("TER:BOHAIN", 13, 14),
                  ("TER:FRESNOY", 17, 18), ("TER:SAINT_QUENTIN", 28, 28)],
    # Cambrai -> Saint-Quentin short working (843750)
    "K40_S_CAMBRAI": [("TER:CAMBRAI", -12, -12), ("CAUDRY", -1, 0),
                      ("TER:BUSIGNY", 7, 8), ("TER:BOHAIN", 12, 13),
                      ("TER:FRESNOY", 17, 18), ("TER:SAINT_QUENTIN", 28, 28)],
    # K40 weekday northbound, Saint-Quentin -> Lille (e.g. 843854)
    "K40_N": [("TER:SAINT_QUENTIN", -25, -25), ("TER:BUSIGNY", -10, -9),
              ("CAUDRY", -1, 0), ("TER:CAMBRAI", 12, 22),
              ("TER:SOMAIN", 44, 45), ("TER:MONTIGNY", 50, 51),
              ("TER:DOUAI", 58, 60), ("TER:LILLE_FLANDRES", 82, 82)],
    # same, starting at Busigny (843850, 843852)
    "K40_N_BUSIGNY": [("TER:BUSIGNY", -9, -9), ("CAUDRY", -1, 0),
                      ("TER:CAMBRAI", 12, 22), ("TER:SOMAIN", 44, 45),
                      ("TER:MONTIGNY", 50, 51), ("TER:DOUAI", 58, 60),
                      ("TER:LILLE_FLANDRES", 82, 82)],
    # same, also calling at Fresnoy-le-Grand and Bohain (843866)
    "K40_N_ALL": [("TER:SAINT_QUENTIN", -30, -30), ("TER:FRESNOY", -21, -20),
                  ("TER:BOHAIN", -16, -15), ("TER:BUSIGNY", -10, -9),
                  ("CAUDRY", -1, 0), ("TER:CAMBRAI", 12, 22),
                  ("TER:SOMAIN", 44, 45), ("TER:MONTIGNY", 51, 52),
                  ("TER:DOUAI", 58, 60), ("TER:LILLE_FLANDRES", 82, 82)],
    # K40 weekend southbound (843824 ... 843888): fewer stops north of Cambrai
    "K40_WE_S": [("TER:LILLE_FLANDRES", -74, -74), ("TER:DOUAI", -55, -53),
                 ("TER:CAMBRAI", -23, -13), ("CAUDRY", -1, 0),
                 ("TER:BUSIGNY", 7, 8), ("TER:BOHAIN", 13, 14),
                 ("TER:FRESNOY", 17, 18), ("TER:SAINT_QUENTIN", 29, 29)],
    # K40 weekend northbound (843822 ... 843848)
    "K40_WE_N": [("TER:SAINT_QUENTIN", -29, -29), ("TER:FRESNOY", -19, -18),
                 ("TER:BOHAIN", -15, -14), ("TER:BUSIGNY", -9, -8),
                 ("CAUDRY", -1, 0), ("TER:CAMBRAI", 12, 22),
                 ("TER:DOUAI", 52, 54), ("TER:LILLE_FLANDRES", 74, 74)],
    # K13 weekday, Cambrai -> Paris-Nord, semi-fast (16450)
    "K13_S": [("TER:CAMBRAI", -14, -14), ("CAUDRY", -2, 0),
              ("TER:BUSIGNY", 8, 10), ("TER:SAINT_QUENTIN", 23, 25),
              ("TER:COMPIEGNE", 58, 60), ("TER:PARIS_NORD", 102, 102)],
    # K13 weekday, Paris-Nord -> Cambrai (16459)
    "K13_N": [("TER:PARIS_NORD", -103, -103), ("TER:COMPIEGNE", -62, -60),
              ("TER:SAINT_QUENTIN", -27, -25), ("TER:BUSIGNY", -11, -9),
              ("CAUDRY", -1, 0), ("TER:CAMBRAI", 12, 12)],
    # K13 weekend, Cambrai -> Paris-Nord, all stops (16462, 16472)
    "K13_WE_S": [("TER:CAMBRAI", -12, -12), ("CAUDRY", -1, 0),
                 ("TER:BUSIGNY", 7, 9), ("TER:SAINT_QUENTIN", 29, 31),
                 ("TER:TERGNIER", 42, 44), ("TER:CHAUNY", 49, 50),
                 ("TER:NOYON", 59, 60), ("TER:COMPIEGNE", 72, 74),
                 ("TER:PONT_STE_MAXENCE", 85, 87), ("TER:CREIL", 95, 99),
                 ("TER:PARIS_NORD", 127, 127)],
    # K13 weekend, Paris-Nord -> Cambrai, all stops (16473, 16477)
    "K13_WE_N": [("TER:PARIS_NORD", -118, -118), ("TER:CREIL", -92, -90),
                 ("TER:PONT_STE_MAXENCE", -83, -81), ("TER:COMPIEGNE", -69, -67),
                 ("TER:NOYON", -55, -54), ("TER:CHAUNY", -45, -44),
                 ("TER:TERGNIER", -39, -37), ("TER:SAINT_QUENTIN", -26, -24),
                 ("TER:BUSIGNY", -10, -8), ("CAUDRY", -1, 0),
                 ("TER:CAMBRAI", 13, 13)],
    # P40 stopping train, Saint-Quentin -> Douai (843840)
    "P40_N": [("TER:SAINT_QUENTIN", -35, -35), ("TER:FRESNOY", -25, -24),
              ("TER:BOHAIN", -20, -19), ("TER:BUSIGNY", -14, -13),
              ("TER:MAUROIS", -9, -8), ("TER:BERTRY", -5, -4),
              ("CAUDRY", -1, 0), ("TER:CATTENIERES", 5, 6),
              ("TER:WAMBAIX", 8, 9), ("TER:CAMBRAI", 16, 26),
              ("TER:DOUAI", 56, 56)],
    # P40 stopping train, Douai -> Saint-Quentin (843872)
    "P40_S": [("TER:DOUAI", -56, -56), ("TER:CAMBRAI", -26, -16),
              ("TER:WAMBAIX", -9, -8), ("TER:CATTENIERES", -6, -5),
              ("CAUDRY", -1, 0), ("TER:BERTRY", 4, 5), ("TER:MAUROIS", 7, 8),
              ("TER:BUSIGNY", 11, 12), ("TER:BOHAIN", 17, 18),
              ("TER:FRESNOY", 21, 22), ("TER:SAINT_QUENTIN", 33, 33)],
}

# template -> (route_id, direction_id); 0 = southbound (voie 1)
TER_TEMPLATE_ROUTE = {
    "K40_S": ("TER:K40", 0), "K40_S_BUSIGNY": ("TER:K40", 0),
    "K40_S_ALL": ("TER:K40", 0), "K40_S_CAMBRAI": ("TER:K40", 0),
    "K40_N": ("TER:K40", 1), "K40_N_BUSIGNY": ("TER:K40", 1),
    "K40_N_ALL": ("TER:K40", 1),
    "K40_WE_S": ("TER:K40", 0), "K40_WE_N": ("TER:K40", 1),
    "K13_S": ("TER:K13", 0), "K13_N": ("TER:K13", 1),
    "K13_WE_S": ("TER:K13", 0), "K13_WE_N": ("TER:K13", 1),
    "P40_S": ("TER:P40", 0), "P40_N": ("TER:P40", 1),
}

# service -> list of (train number, template, departure from Caudry)
TER_TRAINS = {
    WEEKDAY: [
        ("843850", "K40_N_BUSIGNY", "05:16"), ("16450", "K13_S", "06:01"),
        ("843852", "K40_N_BUSIGNY", "06:17"), ("843750", "K40_S_CAMBRAI", "06:49"),
        ("843854", "K40_N", "07:16"), ("843800", "K40_S", "07:45"),
        ("843840", "P40_N", "07:45"), ("843856", "K40_N", "08:16"),
        ("843802", "K40_S_ALL", "08:44"), ("843804", "K40_S", "09:45"),
        ("843858", "K40_N", "10:16"), ("843806", "K40_S", "10:45"),
        ("843860", "K40_N", "12:16"), ("843808", "K40_S", "13:45"),
        ("843810", "K40_S", "14:45"), ("843862", "K40_N", "15:16"),
        ("843864", "K40_N", "17:16"), ("843812", "K40_S", "17:45"),
        ("843866", "K40_N_ALL", "18:16"), ("843872", "P40_S", "18:16"),
        ("843814", "K40_S", "18:45"), ("843868", "K40_N", "19:17"),
        ("843816", "K40_S", "19:45"), ("16459", "K13_N", "20:01"),
        ("843870", "K40_N", "20:16"), ("843818", "K40_S_BUSIGNY", "20:43"),
        ("843820", "K40_S_BUSIGNY", "21:45"),
    ],
    SATURDAY: [
        ("16462", "K13_WE_S", "06:20"), ("843822", "K40_WE_N", "07:41"),
        ("843824", "K40_WE_S", "09:19"), ("843826", "K40_WE_N", "09:41"),
        ("843828", "K40_WE_S", "11:19"), ("843830", "K40_WE_N", "11:41"),
        ("843832", "K40_WE_S", "13:19"), ("843836", "K40_WE_N", "13:41"),
        ("843834", "K40_WE_S", "15:19"), ("843842", "K40_WE_N", "15:41"),
        ("843838", "K40_WE_S", "17:19"), ("843844", "K40_WE_N", "17:41"),
        ("16473", "K13_WE_N", "18:30"), ("843846", "K40_WE_S", "19:19"),
        ("843848", "K40_WE_N", "19:41"), ("843888", "K40_WE_S", "21:19"),
    ],
    SUNDAY: [
        ("843822", "K40_WE_N", "07:41"), ("843826", "K40_WE_N", "09:41"),
        ("843828", "K40_WE_S", "11:19"), ("843830", "K40_WE_N", "11:41"),
        ("16472", "K13_WE_S", "12:29"), ("843832", "K40_WE_S", "13:19"),
        ("843836", "K40_WE_N", "13:41"), ("843834", "K40_WE_S", "15:19"),
        ("843842", "K40_WE_N", "15:41"), ("843838", "K40_WE_S", "17:19"),
        ("843844", "K40_WE_N", "17:41"), ("843846", "K40_WE_S", "19:19"),
        ("843848", "K40_WE_N", "19:41"), ("16477", "K13_WE_N", "20:37"),
        ("843888", "K40_WE_S", "21:19"),
    ],
}

SERVICE_SUFFIX = {WEEKDAY: "WD", SATURDAY: "SA", SUNDAY: "SU"}

# --------------------------------------------------------------------------
# Public holidays (France): the day's usual service is replaced by SUNDAY.
# --------------------------------------------------------------------------
HOLIDAY_YEARS = tuple(range(2025, 2036))  # the whole validity of the feed


def easter(year):
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return datetime.date(year, month, day + 1)


def french_holidays(year):
    e = easter(year)
    d = datetime.date
    days = [d(year, 1, 1), e + datetime.timedelta(days=1), d(year, 5, 1),
            d(year, 5, 8), e + datetime.timedelta(days=39),
            e + datetime.timedelta(days=50), d(year, 7, 14), d(year, 8, 15),
            d(year, 11, 1), d(year, 11, 11), d(year, 12, 25)]
    return sorted(days)


# --------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------


def build():
    trips = []        # dicts
    stop_times = []   # lists
    frequencies = []

    def add_trip(trip_id, route_id, service, headsign, direction, rows,
                 short_name=""):
        trips.append({"route_id": route_id, "service_id": service,
                      "trip_id": trip_id, "trip_headsign": headsign,
                      "trip_short_name": short_name,
                      "direction_id": direction})
        n = len(rows)
        for i, (stop_id, arr, dep, stop_headsign) in enumerate(rows):
            pickup = 1 if i == n - 1 else 0     # no boarding at the terminus
            drop_off = 1 if i == 0 else 0       # no alighting at the origin
            stop_times.append([trip_id, gtfs_time(arr), gtfs_time(dep),
                               stop_id, i + 1, stop_headsign, pickup,
                               drop_off])

    # Bus lines
    for route_id, pattern, head0, head1, services in BUS_LINES:
        line = route_id.split(":")[1]
        for service in (WEEKDAY, SATURDAY, SUNDAY):
            if service not in services:
                continue
            for direction, (times, pat, head) in enumerate(
                    [(services[service][0], pattern, head0),
                     (services[service][1], reverse_pattern(pattern), head1)]):
                for t in times:
                    start = hm(t)
                    trip_id = "CA2C:%s:%s:%d:%s" % (
                        line, SERVICE_SUFFIX[service], direction,
                        t.replace(":", ""))
                    rows = [(s, start + a, start + d, "") for (s, a, d) in pat]
                    add_trip(trip_id, route_id, service, head, direction, rows)

    # Night short working
    route_id, service, t, pat, head = NIGHT_TRIP
    start = hm(t)
    add_trip("CA2C:1:%s:1:%s:NIGHT" % (SERVICE_SUFFIX[service],
                                       t.replace(":", "")),
             route_id, service, head, 1,
             [(s, start + a, start + d, "") for (s, a, d) in pat])

    # Town shuttle (frequency based, exact times)
    for service in (WEEKDAY, SATURDAY):
        first, last, headway = NAVETTE_FREQ[service]
        trip_id = "CA2C:N:%s:LOOP" % SERVICE_SUFFIX[service]
        start = hm(first)
        rows = [(s, start + a, start + d, NAVETTE_STOP_HEADSIGNS[i])
                for i, (s, a, d) in enumerate(NAVETTE)]
        add_trip(trip_id, "CA2C:N", service, "Boucle centre-ville", 0, rows)
        frequencies.append([trip_id, gtfs_time(hm(first)),
                            gtfs_time(hm(last)), headway * 60, 1])

    # TER
    for service in (WEEKDAY, SATURDAY, SUNDAY):
        for number, template, t in TER_TRAINS[service]:
            route_id, direction = TER_TEMPLATE_ROUTE[template]
            platform = "CAUDRY:V1" if direction == 0 else "CAUDRY:V2"
            dep = hm(t)
            rows = [(platform if s == "CAUDRY" else s, dep + a, dep + d, "")
                    for (s, a, d) in TER_TEMPLATES[template]]
            add_trip("TER:%s:%s" % (number, SERVICE_SUFFIX[service]),
                     route_id, service, number, direction, rows,
                     short_name=number)

    return trips, stop_times, frequencies


def write(name, header, rows):
    with open(OUT_DIR / name, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def main():
    OUT_DIR.mkdir(parents=True, exist_ok=True)

    write("agency.txt",
          ["agency_id", "agency_name", "agency_url", "agency_timezone",
           "agency_lang"],
          [[a, n, u, "Europe/Paris", "fr"] for (a, n, u) in AGENCIES])

    write("feed_info.txt",
          ["feed_publisher_name", "feed_publisher_url", "feed_lang",
           "feed_start_date", "feed_end_date", "feed_version"],
          [["Quai demo — fictional data", "https://example.org/quai-demo",
            "fr", FEED_START, FEED_END, FEED_VERSION]])

    stop_rows = [[HUB[0], HUB[1], "%.6f" % HUB[2], "%.6f" % HUB[3], 1, "", ""]]
    for sid, lat, lon, code in HUB_CHILDREN:
        stop_rows.append([sid, HUB_NAME, "%.6f" % lat, "%.6f" % lon, 0,
                          HUB[0], code])
    for sid, name, lat, lon in STOPS:
        stop_rows.append([sid, name, "%.6f" % lat, "%.6f" % lon, 0, "", ""])
    write("stops.txt",
          ["stop_id", "stop_name", "stop_lat", "stop_lon", "location_type",
           "parent_station", "platform_code"],
          stop_rows)

    write("routes.txt",
          ["route_id", "agency_id", "route_short_name", "route_long_name",
           "route_type", "route_color", "route_text_color"],
          [list(r) for r in ROUTES])

    trips, stop_times, frequencies = build()
    write("trips.txt",
          ["route_id", "service_id", "trip_id", "trip_headsign",
           "trip_short_name", "direction_id"],
          [[t["route_id"], t["service_id"], t["trip_id"], t["trip_headsign"],
            t["trip_short_name"], t["direction_id"]] for t in trips])
    write("stop_times.txt",
          ["trip_id", "arrival_time", "departure_time", "stop_id",
           "stop_sequence", "stop_headsign", "pickup_type", "drop_off_type"],
          stop_times)
    write("frequencies.txt",
          ["trip_id", "start_time", "end_time", "headway_secs", "exact_times"],
          frequencies)

    write("calendar.txt",
          ["service_id", "monday", "tuesday", "wednesday", "thursday",
           "friday", "saturday", "sunday", "start_date", "end_date"],
          [[WEEKDAY, 1, 1, 1, 1, 1, 0, 0, FEED_START, FEED_END],
           [SATURDAY, 0, 0, 0, 0, 0, 1, 0, FEED_START, FEED_END],
           [SUNDAY, 0, 0, 0, 0, 0, 0, 1, FEED_START, FEED_END]])

    cal_dates = []
    for year in HOLIDAY_YEARS:
        for day in french_holidays(year):
            wd = day.weekday()
            if wd == 6:
                continue  # already a Sunday
            usual = SATURDAY if wd == 5 else WEEKDAY
            ds = day.strftime("%Y%m%d")
            cal_dates.append([usual, ds, 2])
            cal_dates.append([SUNDAY, ds, 1])
    write("calendar_dates.txt", ["service_id", "date", "exception_type"],
          cal_dates)


if __name__ == "__main__":
    main()

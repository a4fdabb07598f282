#!/usr/bin/env python3
"""Decodes Quai's GTFS-Realtime export with a second implementation (Google's
`gtfs-realtime-bindings`) and checks that it says what the board says.

Usage: gtfs_rt_export.py http://127.0.0.1:PORT STATION
"""

import datetime
import gzip
import json
import sys
import urllib.request

from google.transit import gtfs_realtime_pb2


def get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request) as response:
            body = response.read()
            if response.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            return response.status, response.headers, body
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def feed(base, name):
    status, headers, body = get(f"{base}/gtfs-rt/{name}")
    assert status == 200, (name, status)
    assert headers.get("Content-Type") == "application/x-protobuf", dict(headers)
    message = gtfs_realtime_pb2.FeedMessage()
    message.ParseFromString(body)
    assert message.header.gtfs_realtime_version == "2.0"
    assert message.header.incrementality == gtfs_realtime_pb2.FeedHeader.FULL_DATASET
    # Polling again with the ETag costs a 304; gzip is offered.
    status, _, _ = get(f"{base}/gtfs-rt/{name}", {"If-None-Match": headers.get("ETag")})
    assert status == 304, (name, "not 304 with the ETag", status)
    if len(body) >= 1024:
        status, zipped, _ = get(f"{base}/gtfs-rt/{name}", {"Accept-Encoding": "gzip"})
        assert zipped.get("Content-Encoding") == "gzip", dict(zipped)
    return message


def split_id(departure_id):
    rest, sequence = departure_id.rsplit(":", 1)
    rest, date = rest.rsplit(":", 1)
    feed_id, trip = rest.split(":", 1)
    start_time = None
    if "@" in trip and len(trip.rsplit("@", 1)[1]) == 8:
        trip, start_time = trip.rsplit("@", 1)
    return trip, date, start_time, int(sequence)


def epoch(text):
    return int(datetime.datetime.fromisoformat(text).timestamp())


def main(base, station):
    with urllib.request.urlopen(f"{base}/v1/stations/{station}/board?limit=30") as r:
        board = json.load(r)
    trip_updates = feed(base, "trip-updates")
    alerts = feed(base, "alerts")
    feed(base, "vehicle-positions")

    by_trip = {}
    for entity in trip_updates.entity:
        tu = entity.trip_update
        key = (tu.trip.trip_id, tu.trip.start_date, tu.trip.start_time or None)
        by_trip[key] = tu

    checked = 0
    for d in board["departures"]:
        if not d["realtime"]:
            continue
        trip, date, start_time, sequence = split_id(d["id"])
        tu = by_trip.get((trip, date, start_time))
        assert tu is not None, ("no trip update for", d["id"])
        assert tu.trip.route_id == d["route"]["id"], d["id"]
        if d["status"] == "cancelled":
            assert tu.trip.schedule_relationship == gtfs_realtime_pb2.TripDescriptor.CANCELED, d["id"]
            checked += 1
            continue
        calls = [u for u in tu.stop_time_update if u.stop_sequence == sequence]
        assert len(calls) == 1, ("no stop time update for", d["id"])
        call = calls[0]
        if d["status"] == "skipped":
            assert call.schedule_relationship == call.SKIPPED, d["id"]
        if d["expected"]:
            assert call.departure.time == epoch(d["expected"]), (d["id"], call.departure.time, d["expected"])
            assert call.departure.delay == d["delay_s"], d["id"]
        if d.get("platform_changed"):
            assert call.stop_time_properties.assigned_stop_id == d["stop_id"].split(":", 1)[1], d["id"]
        checked += 1
    assert checked > 0, "no realtime departure on the board to compare"

    alert_ids = {e.id: e.alert for e in alerts.entity}
    for n in board["notices"]:
        alert = alert_ids.get(n["id"])
        assert alert is not None, ("notice missing from the alerts", n["id"])
        header = {t.language: t.text for t in alert.header_text.translation}
        assert header == n["header"], (header, n["header"])
    print(f"gtfs-rt export: {checked} departures and {len(board['notices'])} notices agree with the board")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    try:
        main(sys.argv[1], sys.argv[2])
    except AssertionError as e:
        print(f"gtfs-rt export: FAILED: {e}", file=sys.stderr)
        sys.exit(1)

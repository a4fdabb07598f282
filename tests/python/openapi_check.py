#!/usr/bin/env python3
"""docs/openapi.yaml kept true: it is a valid OpenAPI 3.1 document
(openapi-spec-validator); the server serves it (as JSON) and its schemas;
every API route of feed-server/src/server/routes.rs is in it; and every
operation, asked of a running server (the demo, with an operator token), answers
with a status the document lists, in a content type it lists, and a JSON body
its schema accepts (jsonschema, references resolved across both documents).

Usage: openapi_check.py http://127.0.0.1:PORT OPERATOR_TOKEN
"""

import json
import pathlib
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

import jsonschema
import yaml
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
OPENAPI_URI = (DOCS / "openapi.yaml").as_uri()
SCHEMA_URI = (DOCS / "schemas" / "quai.schema.json").as_uri()

# Routes that are pages, their files, the demo's simulators, or the stream
# (asyncapi.yaml): not the REST API.
NOT_API = re.compile(r"^/(app|portal|console|demo/|v1/stream$)")


def ask(base, method, path, token=None, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        request.add_header(k, v)
    try:
        with urllib.request.urlopen(request) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read(), e.headers


def main(base, token):
    document = yaml.safe_load((DOCS / "openapi.yaml").read_text())
    schemas = json.loads((DOCS / "schemas" / "quai.schema.json").read_text())
    validate(document, base_uri=OPENAPI_URI)

    # Served as written.
    status, _, body, _ = ask(base, "GET", "/v1/openapi.json")
    assert status == 200 and json.loads(body) == document, "docs/openapi.json is not docs/openapi.yaml: run scripts/openapi-json.py"
    status, _, body, _ = ask(base, "GET", "/v1/schemas/quai.schema.json")
    assert status == 200 and json.loads(body) == schemas

    # Every API route documented (paths as axum writes them: the same {id}).
    routes = set(re.findall(r'"(/[^"]*)"', (ROOT / "feed-server/src/server/routes.rs").read_text()))
    api = {r for r in routes if not NOT_API.match(r)}
    missing = sorted(api - set(document["paths"]))
    assert not missing, f"routes not in docs/openapi.yaml: {missing}"
    gone = sorted(set(document["paths"]) - routes)
    assert not gone, f"documented paths the server does not serve: {gone}"

    registry = Registry().with_resources([
        (OPENAPI_URI, Resource.from_contents(document, default_specification=DRAFT202012)),
        (SCHEMA_URI, Resource.from_contents(schemas, default_specification=DRAFT202012)),
    ])

    asked = set()

    def check(method, template, path, expect, token_=None, body=None, headers=None):
        status, ctype, raw, response_headers = ask(base, method, path, token_, body, headers)
        assert status == expect, f"{method} {path}: {status}, expected {expect}: {raw[:300]!r}"
        operation = document["paths"][template][method.lower()]
        responses = operation["responses"]
        assert str(status) in responses, f"{method} {template}: status {status} not documented"
        asked.add((method, template))
        response = responses[str(status)]
        pointer = f"#/paths/{template.replace('~', '~0').replace('/', '~1')}/{method.lower()}/responses/{status}"
        if "$ref" in response:
            pointer = response["$ref"]
            response = document["components"]["responses"][pointer.rsplit("/", 1)[1]]
        content = response.get("content")
        if not content:
            return raw, response_headers
        media = ctype.split(";")[0].strip()
        assert media in content, f"{method} {path}: {media} not in {list(content)}"
        if media.endswith("json"):
            key = media.replace("~", "~0").replace("/", "~1")
            ref = f"{OPENAPI_URI}{pointer}/content/{key}/schema"
            validator = jsonschema.Draft202012Validator({"$ref": ref}, registry=registry)
            errors = sorted(validator.iter_errors(json.loads(raw)), key=lambda e: list(e.absolute_path))
            assert not errors, f"{method} {path}: {errors[0].message} at {list(errors[0].absolute_path)}"
        return raw, response_headers

    # The public API.
    check("GET", "/v1/stations", "/v1/stations", 200)
    check("GET", "/v1/stations/{id}/board", "/v1/stations/caudry/board?limit=5", 200)
    check("GET", "/v1/stations/{id}/board", "/v1/stations/caudry/board?platforms=A&limit=3", 200)
    _, h = check("GET", "/v1/stations/{id}/board", "/v1/stations/caudry/board", 200)
    check("GET", "/v1/stations/{id}/board", "/v1/stations/caudry/board", 304, headers={"If-None-Match": h["ETag"]})
    check("GET", "/v1/stations/{id}/board", "/v1/stations/nowhere/board", 404)
    check("GET", "/v1/stations/{id}/board", "/v1/stations/caudry/board?limit=0", 400)
    check("GET", "/v1/stations/{id}/routes", "/v1/stations/caudry/routes", 200)
    check("GET", "/v1/stations/{id}/routes", "/v1/stations/nowhere/routes", 404)
    check("GET", "/v1/stops/{id}/board", "/v1/stops/demo:CAUDRY_HDV/board", 200)
    check("GET", "/v1/stops/{id}/board", "/v1/stops/demo:NOPE/board", 404)
    check("GET", "/v1/stops/{id}/board", "/v1/stops/nocolon/board", 400)
    check("GET", "/v1/search", "/v1/search?q=cambresis", 200)
    check("GET", "/v1/search", "/v1/search", 400)
    check("GET", "/v1/routes/{id}", "/v1/routes/demo:CA2C:1", 200)
    check("GET", "/v1/routes/{id}", "/v1/routes/demo:CA2C:99", 404)
    check("GET", "/v1/routes/{id}", "/v1/routes/nocolon", 400)
    check("GET", "/v1/routes/{id}/departures", "/v1/routes/demo:CA2C:1/departures?station=caudry", 200)
    check("GET", "/v1/routes/{id}/departures", "/v1/routes/demo:CA2C:1/departures", 400)
    board = json.loads(ask(base, "GET", "/v1/stations/caudry/board")[2])
    trip = urllib.parse.quote(board["departures"][0]["id"], safe="")
    check("GET", "/v1/trips/{id}", f"/v1/trips/{trip}", 200)
    check("GET", "/v1/trips/{id}", "/v1/trips/demo:nope:20260701:1", 404)
    check("GET", "/v1/trips/{id}", "/v1/trips/nonsense", 400)
    check("GET", "/v1/facilities", "/v1/facilities", 200)
    check("GET", "/v1/facilities/{id}", "/v1/facilities/covoiturage-caudry", 200)
    check("GET", "/v1/facilities/{id}", "/v1/facilities/nowhere", 404)
    check("GET", "/captive-portal/api", "/captive-portal/api?station=caudry", 200)
    check("GET", "/healthz", "/healthz", 200)
    check("GET", "/metrics", "/metrics", 200)
    check("GET", "/v1/openapi.json", "/v1/openapi.json", 200)
    check("GET", "/v1/schemas/quai.schema.json", "/v1/schemas/quai.schema.json", 200)
    for export in ("/gtfs-rt/trip-updates", "/gtfs-rt/alerts", "/gtfs-rt/vehicle-positions"):
        check("GET", export, export, 200)
        check("GET", export, export + "?format=json", 200)
    for export in ("/siri/situation-exchange", "/siri/facility-monitoring", "/datex2/parking-status"):
        check("GET", export, export, 200)
    check("POST", "/v1/sensors/{integration}", "/v1/sensors/chirpstack", 401, body={})

    # Push alerts: a browser's subscription (keys made here), read back, deleted.
    check("GET", "/v1/push/key", "/v1/push/key", 200)
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    import base64, os
    b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    public = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    subscription = {"subscription": {"endpoint": "https://fcm.googleapis.com/fcm/send/openapi-check",
                                     "expirationTime": None, "keys": {"p256dh": b64(public), "auth": b64(os.urandom(16))}},
                    "follows": [{"route_id": "demo:CA2C:4"}, {"stop_id": "demo:CAUDRY_HDV"}], "lang": "en"}
    raw, _ = check("POST", "/v1/push/subscriptions", "/v1/push/subscriptions", 201, body=subscription)
    kept = json.loads(raw)
    check("GET", "/v1/push/subscriptions/{id}", f"/v1/push/subscriptions/{kept['id']}", 200)
    check("DELETE", "/v1/push/subscriptions/{id}", f"/v1/push/subscriptions/{kept['id']}", 204)
    check("GET", "/v1/push/subscriptions/{id}", f"/v1/push/subscriptions/{kept['id']}", 404)
    check("DELETE", "/v1/push/subscriptions/{id}", f"/v1/push/subscriptions/{kept['id']}", 404)
    check("POST", "/v1/push/subscriptions", "/v1/push/subscriptions", 422,
          body={**subscription, "subscription": {**subscription["subscription"], "endpoint": "http://10.0.0.1/x"}})

    # Operators.
    check("GET", "/v1/notices", "/v1/notices", 401)
    notice = {"severity": "warning", "cause": "construction", "effect": "stop_moved",
              "header": {"fr": "Quai C fermé", "en": "Bay C closed"},
              "informed_entities": [{"station": "caudry"}], "status": "published"}
    raw, _ = check("POST", "/v1/notices", "/v1/notices", 201, token, notice)
    stored = json.loads(raw)
    check("POST", "/v1/notices", "/v1/notices", 422, token, {**notice, "header": {"en": "no French"}})
    check("GET", "/v1/notices", "/v1/notices", 200, token)
    check("GET", "/v1/notices/{id}", f"/v1/notices/{stored['id']}", 200, token)
    check("GET", "/v1/notices/{id}", "/v1/notices/n-nope", 404, token)
    raw, _ = check("PATCH", "/v1/notices/{id}", f"/v1/notices/{stored['id']}", 200, token,
                   {"description": {"fr": "Ligne 3 au quai D"}}, {"If-Match": f"\"{stored['version']}\""})
    patched = json.loads(raw)
    check("PATCH", "/v1/notices/{id}", f"/v1/notices/{stored['id']}", 409, token,
          {"description": {"fr": "encore"}}, {"If-Match": f"\"{stored['version']}\""})
    check("DELETE", "/v1/notices/{id}", f"/v1/notices/{stored['id']}", 200, token,
          headers={"If-Match": f"\"{patched['version']}\""})
    check("POST", "/v1/stations/{id}/announce", "/v1/stations/caudry/announce", 202, token)
    check("POST", "/v1/stations/{id}/announce", "/v1/stations/nowhere/announce", 404, token)
    emergency = {"stations": ["caudry"], "screen_text": {"fr": "Évacuation de la gare"},
                 "ends_at": "2026-07-01T09:00:00+02:00"}
    raw, _ = check("POST", "/v1/emergencies", "/v1/emergencies", 201, token, emergency)
    check("POST", "/v1/emergencies", "/v1/emergencies", 422, token, {**emergency, "repeat_s": 1})
    check("GET", "/v1/emergencies", "/v1/emergencies", 200, token)
    check("DELETE", "/v1/emergencies/{id}", f"/v1/emergencies/{json.loads(raw)['id']}", 200, token)

    # Screens: the check's operator sees none (no screen reported), may not
    # report as one (its scopes have no screen:ID).
    check("GET", "/v1/screens", "/v1/screens", 401)
    check("GET", "/v1/screens", "/v1/screens?station=caudry", 200, token)
    report = {"station": "caudry", "seq": 1, "shows": "live", "layout": "Hall 1080p", "page": 1,
              "pages": 1, "lang": "fr", "version": "0.1.0", "uptime_s": 5, "audio": "off"}
    check("POST", "/v1/screens/{id}/reports", "/v1/screens/hall-1/reports", 401, body=report)
    check("POST", "/v1/screens/{id}/reports", "/v1/screens/hall-1/reports", 403, token, report)
    check("GET", "/v1/screens/{id}/history", "/v1/screens/hall-1/history", 404, token)
    check("POST", "/v1/screens/{id}/screenshot", "/v1/screens/hall-1/screenshot", 404, token)
    check("GET", "/v1/screens/{id}/screenshot", "/v1/screens/hall-1/screenshot", 404, token)
    check("PUT", "/v1/screens/{id}/screenshot", "/v1/screens/hall-1/screenshot", 401)

    # Every documented operation was asked.
    documented = {(m.upper(), p) for p, item in document["paths"].items() for m in item if m in ("get", "post", "patch", "delete", "put")}
    unasked = sorted(documented - asked)
    assert not unasked, f"operations never asked: {unasked}"
    print(f"openapi: valid, served, {len(api)} routes documented, {len(asked)} operations answered as documented")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

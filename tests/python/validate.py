#!/usr/bin/env python3
"""Validates a JSON document read on stdin against one definition of
docs/schemas/quai.schema.json (JSON Schema 2020-12, the `jsonschema` package
that scripts/deps.sh installs).

Usage: validate.py DEFINITION < document.json
Exit status 0 when it conforms; 1 with the reason otherwise.
"""

import json
import pathlib
import sys

import jsonschema

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "schemas" / "quai.schema.json").read_text())

definition = sys.argv[1]
validator = jsonschema.Draft202012Validator({**SCHEMA, "$ref": f"#/$defs/{definition}"})
try:
    validator.validate(json.load(sys.stdin))
except jsonschema.ValidationError as e:
    print(f"not a {definition}: {e.message} at {list(e.absolute_path)}", file=sys.stderr)
    sys.exit(1)

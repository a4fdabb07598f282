#!/usr/bin/env python3
"""Writes docs/openapi.json from docs/openapi.yaml (the document the server
serves at /v1/openapi.json; the YAML is the one to edit). The OpenAPI test
fails while they differ.

Usage: scripts/openapi-json.py
"""

import json
import pathlib

import yaml

docs = pathlib.Path(__file__).resolve().parents[1] / "docs"
document = yaml.safe_load((docs / "openapi.yaml").read_text())
(docs / "openapi.json").write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
print("wrote docs/openapi.json")

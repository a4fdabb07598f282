#!/usr/bin/env python3
"""A mobile developer's view of Quai's live stream, in another language.

Connects to /v1/stream with the `websockets` library, subscribes to a station and
checks every message against the JSON shapes published in docs/schemas/ (the
same ones docs/asyncapi.yaml points to): the snapshot, heartbeats, an error for an
unknown station, and a delta that follows the snapshot (prev_seq = the seq held).

Usage: stream_client.py http://127.0.0.1:PORT STATION
Exit status 0 when everything conforms; 1 with the reason otherwise.
"""

import asyncio
import json
import pathlib
import sys
import urllib.request

import jsonschema
from websockets.asyncio.client import connect

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "schemas" / "quai.schema.json").read_text())


def validator(definition):
    return jsonschema.Draft202012Validator({**SCHEMA, "$ref": f"#/$defs/{definition}"})


SERVER = validator("ServerMessage")
CLIENT = validator("ClientMessage")
BOARD = validator("Board")


class Checked:
    def __init__(self, ws):
        self.ws = ws
        self.count = 0
        # Deltas that came while another message was awaited (the board may change
        # at any moment), kept in order for when deltas are awaited.
        self.deltas = []

    async def send(self, message):
        CLIENT.validate(message)
        await self.ws.send(json.dumps(message))

    async def receive(self, timeout=20):
        text = await asyncio.wait_for(self.ws.recv(), timeout)
        message = json.loads(text)
        SERVER.validate(message)
        self.count += 1
        return message

    async def receive_type(self, kind, timeout=20):
        if kind == "delta" and self.deltas:
            return self.deltas.pop(0)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            message = await self.receive(max(0.1, deadline - loop.time()))
            if message["type"] == kind:
                return message
            if message["type"] == "delta":
                self.deltas.append(message)
            elif message["type"] != "heartbeat":
                return message


async def main(base, station):
    with urllib.request.urlopen(f"{base}/v1/stations/{station}/board") as response:
        board = json.load(response)
    BOARD.validate(board)

    url = base.replace("http://", "ws://", 1) + "/v1/stream"
    async with connect(url) as ws:
        stream = Checked(ws)
        await stream.send({"op": "subscribe", "station": station})
        snapshot = await stream.receive_type("snapshot")
        assert snapshot["type"] == "snapshot", snapshot
        assert snapshot["station"] == station
        seq = snapshot["seq"]
        assert snapshot["board"]["seq"] == seq

        await stream.send({"op": "ping"})
        heartbeat = await stream.receive_type("heartbeat")
        assert heartbeat["type"] == "heartbeat", heartbeat

        await stream.send({"op": "subscribe", "station": "no-such-station"})
        error = await stream.receive_type("error")
        assert error["type"] == "error" and error["code"] == "unknown_station", error

        deltas = 0
        while deltas < 1:
            # The clock runs: the 07:34 bus leaves (or, on a machine so slow that
            # it had left before the snapshot, the 07:40 one): a delta follows.
            message = await stream.receive_type("delta", timeout=420)
            assert message["type"] == "delta", message
            assert message["prev_seq"] == seq, (message["prev_seq"], seq)
            assert message["seq"] > seq
            seq = message["seq"]
            deltas += 1

    print(f"python stream client: {stream.count} messages conform, last seq {seq}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    try:
        asyncio.run(main(sys.argv[1], sys.argv[2]))
    except (AssertionError, jsonschema.ValidationError, asyncio.TimeoutError) as e:
        print(f"python stream client: FAILED: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)

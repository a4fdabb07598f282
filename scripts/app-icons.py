#!/usr/bin/env python3
"""Writes the passenger app's icons (feed-server/src/http/app/icon-192.png and
icon-512.png): a yellow departure-board sign on the screens' deep blue, drawn
with the standard library only (zlib), so that they can be made again anywhere.

Usage: scripts/app-icons.py
"""

import os
import struct
import zlib

BLUE = (0x0B, 0x23, 0x41)
YELLOW = (0xFF, 0xD4, 0x00)
WHITE = (0xFF, 0xFF, 0xFF)


def pixel(x, y, n):
    """The colour at (x, y) of an n-pixel icon: a yellow rounded sign with three
    white lines (a board), on blue; the sign inside the maskable safe zone."""
    u, v = x / n, y / n
    if 0.2 <= u <= 0.8 and 0.26 <= v <= 0.74:
        # Rounded corners of the sign.
        r = 0.06
        cx = min(max(u, 0.2 + r), 0.8 - r)
        cy = min(max(v, 0.26 + r), 0.74 - r)
        if (u - cx) ** 2 + (v - cy) ** 2 <= r * r:
            for top in (0.34, 0.46, 0.58):
                if top <= v <= top + 0.06 and 0.28 <= u <= (0.72 if top != 0.58 else 0.56):
                    return BLUE
            return YELLOW
    return BLUE


def png(n):
    rows = b"".join(b"\0" + bytes(c for x in range(n) for c in pixel(x, y, n)) for y in range(n))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", n, n, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


here = os.path.join(os.path.dirname(__file__), "..", "feed-server", "src", "http", "app")
for size in (192, 512):
    with open(os.path.join(here, f"icon-{size}.png"), "wb") as f:
        f.write(png(size))
print("wrote icon-192.png and icon-512.png")

#!/usr/bin/env python3
"""The browser's side of a Web Push, written independently of the server's
Rust code (tests/tests/push.rs runs it):

  push_check.py keys       a browser's subscription keys: a new P-256 key
                           pair and a 16-byte auth secret, printed as JSON
                           {"p256dh", "auth", "private"} (base64url)
  push_check.py open       reads {"private", "auth", "body", "authorization",
                           "origin", "contact"} as JSON on stdin: checks the
                           VAPID JWT (RFC 8292: ES256 over the key given in
                           k=, aud = the push service's origin, exp within 24
                           hours, sub = the contact), decrypts the body
                           (RFC 8291 aes128gcm, with the http_ece package)
                           and prints the plaintext.
"""
import base64
import json
import os
import sys
import time

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def keys():
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    scalar = private.private_numbers().private_value.to_bytes(32, "big")
    print(json.dumps({"p256dh": b64(public), "auth": b64(os.urandom(16)), "private": b64(scalar)}))


def check_vapid(authorization, origin, contact):
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid", f"Authorization scheme {scheme!r}, not vapid"
    fields = dict(p.strip().split("=", 1) for p in params.split(","))
    token, key = fields["t"], fields["k"]
    head, claims, signature = token.split(".")
    header = json.loads(unb64(head))
    assert header["alg"] == "ES256", header
    raw = unb64(signature)
    assert len(raw) == 64, f"ES256 signature of {len(raw)} bytes"
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(key))
    public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    claims = json.loads(unb64(claims))
    assert claims["aud"] == origin, (claims, origin)
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600, claims
    assert claims["sub"] == contact, claims
    return key


def open_push():
    asked = json.load(sys.stdin)
    check_vapid(asked["authorization"], asked["origin"], asked["contact"])
    scalar = int.from_bytes(unb64(asked["private"]), "big")
    private = ec.derive_private_key(scalar, ec.SECP256R1())
    plain = http_ece.decrypt(
        unb64(asked["body"]),
        private_key=private,
        auth_secret=unb64(asked["auth"]),
        version="aes128gcm",
    )
    sys.stdout.write(plain.decode("utf-8"))


if __name__ == "__main__":
    {"keys": keys, "open": open_push}[sys.argv[1]]()

"""A signed JWT for Salesforce's OAuth 2.0 JWT bearer flow: RS256 with `cryptography` (no JWT library).

The flow needs one thing a JWT library would give: header.claims.signature, base64url without padding,
signed with RSASSA-PKCS1-v1_5 over SHA-256 (RFC 7515, RFC 7518 section 3.3). That is a dozen lines.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def load_private_key(pem: bytes) -> rsa.RSAPrivateKey:
    """An unencrypted PEM RSA private key (the connected app's certificate's key); ValueError otherwise."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not an unencrypted PEM private key ({exc})") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the key is not an RSA key (Salesforce's JWT bearer flow signs with RS256)")
    return key


def sign_rs256(claims: dict[str, Any], key: rsa.RSAPrivateKey) -> str:
    header = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode("ascii")
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{payload}.{b64url(signature)}"

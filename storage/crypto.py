"""Secrets at rest: Fernet over the keys of TOKEN_ENCRYPTION_KEYS (newest first, MultiFernet), shared by the
Slack installation store (bot.installations) and the CRM connections (storage.crm_connections).

Encrypt with the first key, decrypt with any of them: to rotate, put a new key first, keep the old one after it,
re-encrypt (`accountbot tokens rotate`), then drop the old key. A value no key opens raises
`cryptography.fernet.InvalidToken`; callers report that without the value.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = ["InvalidToken", "TokenCipher"]


class TokenCipher:
    """Fernet over one or more keys (comma-separated, urlsafe base64 of 32 bytes, as `Fernet.generate_key()`)."""

    def __init__(self, keys: str) -> None:
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise ValueError("TOKEN_ENCRYPTION_KEYS is empty: generate one with `accountbot tokens new-key`")
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in parts])
        except ValueError:
            raise ValueError(
                "TOKEN_ENCRYPTION_KEYS holds a key that is not a Fernet key (32 bytes, urlsafe base64): "
                "generate one with `accountbot tokens new-key`"
            ) from None

    def __repr__(self) -> str:  # never the keys
        return "TokenCipher(...)"

    def encrypt(self, value: str | None) -> str | None:
        return None if value is None else self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, value: str | None) -> str | None:
        return None if value is None else self._fernet.decrypt(value.encode()).decode()

    def rotate(self, value: str | None) -> str | None:
        return None if value is None else self._fernet.rotate(value.encode()).decode()

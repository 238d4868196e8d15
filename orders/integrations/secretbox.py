"""Encryption of the shared secrets that sign incoming and outgoing webhooks.

An HMAC needs the secret itself, so it cannot be stored hashed like an API key.
It is stored encrypted (Fernet: AES-128-CBC + HMAC-SHA256) under a key derived
from SECRET_KEY; SECRET_KEY_FALLBACKS keep old rows readable after a rotation.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_INFO = b"postpurchase webhook secrets v1"


def _fernet_for(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _box() -> MultiFernet:
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return MultiFernet([_fernet_for(k) for k in keys])


def encrypt(plain: str) -> str:
    return _box().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    """The plain secret, or "" if it cannot be read (e.g. SECRET_KEY changed with no fallback)."""
    try:
        return _box().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return ""


class EncryptedSecret:
    """A model's `secret`, read and written in clear, kept in `secret_encrypted`
    (a TextField the model declares)."""

    @property
    def secret(self) -> str:
        return decrypt(self.secret_encrypted)

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_encrypted = encrypt(value)

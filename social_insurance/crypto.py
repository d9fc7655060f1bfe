"""Identity numbers at rest: Fernet encryption plus a keyed hash (HMAC-SHA256) for equality
search and duplicate detection. Both keys are derived from a configured secret with HKDF under
different labels, so the hash key never decrypts anything.

Rotation: settings.FIELD_ENCRYPTION_KEY is the current secret (new tokens, new hashes);
settings.FIELD_ENCRYPTION_OLD_KEYS still decrypt, and their hashes still find people, until
`manage.py rotate_field_keys` has re-encrypted and re-hashed every row under the current one."""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

__all__ = ["InvalidToken", "clear_caches", "decrypt_identity", "encrypt_identity", "identity_hash",
           "identity_hashes", "reencrypt_identity"]


def _derive(secret: str, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"hrsaas-field-keys", info=label).derive(secret.encode())


@functools.lru_cache(maxsize=8)
def _fernet(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(secret, b"si-identity-encryption")))


@functools.lru_cache(maxsize=4)
def _multi_fernet(secrets: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_fernet(s) for s in secrets])


@functools.lru_cache(maxsize=8)
def _hash_key(secret: str) -> bytes:
    return _derive(secret, b"si-identity-hash")


def _secrets() -> tuple[str, ...]:
    """The current secret first, then the old ones still accepted (duplicates dropped: an old
    key left equal to the new one must not count twice)."""
    current = settings.FIELD_ENCRYPTION_KEY
    old = [s for s in getattr(settings, "FIELD_ENCRYPTION_OLD_KEYS", []) or [] if s and s != current]
    return (current, *dict.fromkeys(old))


def clear_caches() -> None:
    """Forget derived keys (tests switching keys with override_settings)."""
    _fernet.cache_clear()
    _multi_fernet.cache_clear()
    _hash_key.cache_clear()


def encrypt_identity(number: str) -> str:
    return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(number.encode()).decode()


def decrypt_identity(token: str) -> str:
    """Under the current key or any old one; InvalidToken when none of them made it."""
    return _multi_fernet(_secrets()).decrypt(token.encode()).decode()


def reencrypt_identity(token: str) -> tuple[str, str | None]:
    """(number, a token under the current key) — the new token None when `token` already is one,
    so a second rotation run rewrites nothing."""
    try:
        return _fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(token.encode()).decode(), None
    except InvalidToken:
        number = decrypt_identity(token)
        return number, encrypt_identity(number)


def identity_hash(number: str) -> str:
    """The hash stored with new rows: under the current key."""
    return hmac.new(_hash_key(settings.FIELD_ENCRYPTION_KEY), number.encode(), hashlib.sha256).hexdigest()


def identity_hashes(number: str) -> list[str]:
    """The number's hash under every configured key, current first: what a look-up by number
    matches (`id_number_hash__in=`), so a person is still found between a key rotation and the
    re-hash of their rows."""
    return [hmac.new(_hash_key(s), number.encode(), hashlib.sha256).hexdigest() for s in _secrets()]

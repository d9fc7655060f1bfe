"""Identity numbers at rest: Fernet encryption plus a keyed hash (HMAC-SHA256) for equality
search and duplicate detection. Both keys are derived from settings.FIELD_ENCRYPTION_KEY with
HKDF under different labels, so the hash key never decrypts anything."""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def _derive(label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"hrsaas-field-keys", info=label).derive(
        settings.FIELD_ENCRYPTION_KEY.encode()
    )


@functools.lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(b"si-identity-encryption")))


@functools.lru_cache(maxsize=4)
def _hash_key(secret: str) -> bytes:
    return _derive(b"si-identity-hash")


def encrypt_identity(number: str) -> str:
    return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(number.encode()).decode()


def decrypt_identity(token: str) -> str:
    return _fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(token.encode()).decode()


def identity_hash(number: str) -> str:
    return hmac.new(_hash_key(settings.FIELD_ENCRYPTION_KEY), number.encode(), hashlib.sha256).hexdigest()

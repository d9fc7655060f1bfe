"""Test settings: the production settings with plain HTTP and a fixed key."""
import os

os.environ.setdefault("HRSAAS_TESTING", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hrsaas")

from .settings import *  # noqa: E402,F401,F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = BASE_DIR / ".test-media"  # noqa: F405
# Under pytest-xdist each worker (and the web and Celery processes it starts, which inherit the
# variable) keeps its uploads and collected static files apart from the other workers'.
if os.environ.get("PYTEST_XDIST_WORKER"):
    MEDIA_ROOT = MEDIA_ROOT / os.environ["PYTEST_XDIST_WORKER"]
    STATIC_ROOT = BASE_DIR / ".test-static" / os.environ["PYTEST_XDIST_WORKER"]  # noqa: F405
NOTIFY_RETRY_BASE_SECONDS = 1
# A fixed identity key, whatever the shell exports: test workers and the test process must agree.
FIELD_ENCRYPTION_KEY = "test-only-field-encryption-key-0123456789"
FIELD_ENCRYPTION_OLD_KEYS: list[str] = []

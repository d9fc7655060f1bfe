"""Production settings for the load benchmark (bench/load.py), plus one trivial view for the
baseline and plain HTTP on loopback. Nothing else differs from hrsaas.settings."""
from hrsaas.settings import *  # noqa: F401,F403

PUBLIC_SCHEMA_URLCONF = "bench.load_urls"
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0

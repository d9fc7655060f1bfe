"""The database backend: django-tenants' PostgreSQL backend with one more case where the
branch schema's `SET search_path` must be sent again (see base.py)."""

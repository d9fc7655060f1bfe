"""Uploads are stored under MEDIA_ROOT/<schema>/…, one folder per branch.

The prefix is a naming convention, not an access control: files are served only by views
that check the branch and the role (see `branches.views.serve_upload` users).
"""
from __future__ import annotations

import os

from django.core.files.storage import FileSystemStorage
from django.db import connection


class BranchFileStorage(FileSystemStorage):
    def _schema_prefix(self) -> str:
        return getattr(connection, "schema_name", "public") or "public"

    def _prefixed(self, name: str) -> str:
        prefix = self._schema_prefix()
        return name if name.startswith(prefix + "/") else os.path.join(prefix, name)

    def generate_filename(self, filename: str) -> str:
        return self._prefixed(super().generate_filename(filename))

    def save(self, name, content, max_length=None):
        return super().save(self._prefixed(name), content, max_length=max_length)

    @property
    def base_url(self):  # never a public URL: downloads go through checked views
        return None

    def url(self, name):
        raise ValueError("branch uploads have no public URL; serve them through a checked view")

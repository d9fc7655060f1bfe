"""Serving branch uploads: only through a view that has already checked role and ownership.

Files are stored under MEDIA_ROOT/<schema>/… (branches.storage.BranchFileStorage). Before
streaming, `serve_branch_file` also checks that the stored name lies in the current branch's
folder, so a row copied or forged across branches still cannot reach another branch's file."""
from __future__ import annotations

import mimetypes
import posixpath

from django.core.files.storage import default_storage
from django.db import connection
from django.http import FileResponse, Http404


def file_belongs_to_current_branch(name: str) -> bool:
    schema = connection.schema_name
    normalised = posixpath.normpath(name or "")
    return bool(schema) and schema != "public" and normalised.startswith(schema + "/") and ".." not in normalised.split("/")


def serve_branch_file(name: str, *, download_name: str | None = None) -> FileResponse:
    if not file_belongs_to_current_branch(name) or not default_storage.exists(name):
        raise Http404
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(default_storage.open(name, "rb"), content_type=content_type,
                            as_attachment=False, filename=download_name or posixpath.basename(name))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response

"""WhiteNoise's index of the static files is built once per process (hrsaas/core/static.py), and
built again when the folder is collected again."""
from __future__ import annotations

import os
import shutil

import pytest
from django.test import Client, override_settings

from hrsaas.core import static

pytestmark = pytest.mark.django_db


def _client_get(path: str):
    return Client().get(path)  # a new client: a new handler, a new middleware chain


def test_the_index_is_built_once_and_again_after_the_folder_is_collected_again(tmp_path):
    root = tmp_path / "collected"
    (root / "css").mkdir(parents=True)
    (root / "css" / "a.css").write_text("body { color: black }")
    with override_settings(STATIC_ROOT=str(root)):
        first = _client_get("/static/css/a.css")
        assert first.status_code == 200 and b"".join(first.streaming_content) == b"body { color: black }"
        built = [key for key in static._indexes if key[0].startswith(str(root))]
        assert len(built) == 1
        assert _client_get("/static/css/a.css").status_code == 200
        assert [key for key in static._indexes if key[0].startswith(str(root))] == built  # not walked again

        # `collectstatic --clear`: the folder emptied, then collected with another file.
        shutil.rmtree(root / "css")
        (root / "js").mkdir()
        (root / "js" / "b.js").write_text("let b = 1;")
        os.utime(root, ns=(0, os.stat(root).st_mtime_ns + 1_000_000))  # a later time, whatever the clock's grain
        assert _client_get("/static/js/b.js").status_code == 200
        assert _client_get("/static/css/a.css").status_code == 404
        assert len([key for key in static._indexes if key[0].startswith(str(root))]) == 2

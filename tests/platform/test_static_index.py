"""WhiteNoise's index of the static files is kept per process (hrsaas/core/static.py) while the
folder's files are the same, and built again as soon as one is added, removed or changed."""
from __future__ import annotations

import os
import shutil

import pytest
from django.test import Client, override_settings

from hrsaas.core import static

pytestmark = pytest.mark.django_db


def _get(path: str):
    return Client().get(path)  # a new client: a new handler, a new middleware chain


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _kept(root) -> list:
    return [entry for (folder, _), entry in static._indexes.items() if folder.startswith(str(root))]


def test_the_index_is_kept_while_the_files_are_the_same_and_built_again_when_one_changes(tmp_path):
    root = tmp_path / "collected"
    (root / "css").mkdir(parents=True)
    (root / "css" / "a.css").write_text("body { color: black }")
    with override_settings(STATIC_ROOT=str(root)):
        first = _get("/static/css/a.css")
        assert first.status_code == 200 and _body(first) == b"body { color: black }"
        kept = _kept(root)
        assert len(kept) == 1
        assert _get("/static/css/a.css").status_code == 200
        assert _kept(root)[0] is kept[0]  # the same index, not walked again

        # A file added in a subfolder (collectstatic without --clear): found by the next client.
        (root / "css" / "b.css").write_text("p { margin: 0 }")
        assert _body(_get("/static/css/b.css")) == b"p { margin: 0 }"

        # A file changed in place: its new length and content, not the old headers.
        (root / "css" / "a.css").write_text("body { color: black; margin: 0 auto }")
        os.utime(root / "css" / "a.css", ns=(0, os.stat(root / "css" / "a.css").st_mtime_ns + 1_000_000))
        changed = _get("/static/css/a.css")
        assert changed["Content-Length"] == str(len("body { color: black; margin: 0 auto }"))
        assert _body(changed) == b"body { color: black; margin: 0 auto }"

        # `collectstatic --clear`: the folder emptied, then collected with another file.
        shutil.rmtree(root / "css")
        (root / "js").mkdir()
        (root / "js" / "c.js").write_text("let c = 1;")
        assert _get("/static/js/c.js").status_code == 200
        assert _get("/static/css/a.css").status_code == 404
        # One index per folder, whatever it went through.
        assert len(_kept(root)) == 1


def test_an_index_is_not_shared_across_other_whitenoise_settings(tmp_path):
    root = tmp_path / "collected"
    root.mkdir()
    (root / "app.js").write_text("let a = 1;")
    with override_settings(STATIC_ROOT=str(root), WHITENOISE_MAX_AGE=60):
        assert "max-age=60" in _get("/static/app.js")["Cache-Control"]
    with override_settings(STATIC_ROOT=str(root), WHITENOISE_MAX_AGE=600):
        assert "max-age=600" in _get("/static/app.js")["Cache-Control"]
    assert len(_kept(root)) == 1

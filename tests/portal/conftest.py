"""Helpers for the portal tests: people in bj/sh, photos as bytes, and the recompute the
worker would run (on_commit callbacks do not fire inside a rolled-back test transaction)."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.commissions.conftest import drain, open_client, register_adjustment  # noqa: F401
from tests.factories import make_user

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00" + b"\x00" * 200
PDF = b"%PDF-1.4\n" + b"\x00" * 200
GIF = b"GIF89a" + b"\x00" * 200


def photo(name="id.jpg", content=JPEG, content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def people(db):
    return {
        "bj_manager": make_user("bj_mgr", ("bj", "branch_manager"), home="bj"),
        "bj_staff": make_user("bj_staff", ("bj", "branch_staff"), home="bj"),
        "bj_s1": make_user("bj_s1", ("bj", "specialist"), home="bj"),
        "bj_s2": make_user("bj_s2", ("bj", "specialist"), home="bj"),
        "bj_s3": make_user("bj_s3", ("bj", "specialist"), home="bj"),
        "sh_manager": make_user("sh_mgr", ("sh", "branch_manager"), home="sh"),
        "sh_staff": make_user("sh_staff", ("sh", "branch_staff"), home="sh"),
        "sh_s1": make_user("sh_s1", ("sh", "specialist"), home="sh"),
    }


@pytest.fixture
def web():
    """web(user) → a Django test client logged in as user (or anonymous)."""
    from django.test import Client

    def make(user=None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make

"""WhiteNoise, with its index of a static folder kept per process, not rebuilt per handler.

WhiteNoise indexes STATIC_ROOT when its middleware is made (each file's content type, headers,
compressed variants). Django makes the middleware once per request handler: a server once per
process, but Django's test client once per client — thousands of times per test run, ≈ 20 s of
CPU. The index is WhiteNoise's own; only how often it is built changes. It is reused only while
the folder's files are the same ones — each file's path, size and modification time, one
`stat` per file, a small part of what indexing costs — and WhiteNoise's settings and the static
storage are the same; otherwise it is built again and replaces the one kept (one per folder).
With autorefresh (DEBUG) WhiteNoise looks files up per request and nothing is kept here.
"""
from __future__ import annotations

import threading

from django.conf import settings
from whitenoise.base import scantree
from whitenoise.middleware import WhiteNoiseMiddleware as _WhiteNoiseMiddleware

_lock = threading.Lock()
_indexes: dict[tuple, tuple] = {}  # (folder, URL prefix) → (what it was built from, index)


def _files_of(root: str) -> frozenset:
    return frozenset((path, st.st_size, st.st_mtime_ns, st.st_ino) for path, st in scantree(root))


class WhiteNoiseMiddleware(_WhiteNoiseMiddleware):
    def update_files_dictionary(self, root, prefix):
        try:
            files = _files_of(root)
        except OSError:
            return super().update_files_dictionary(root, prefix)
        # What a file's entry holds depends on these too (its headers, its content type). The
        # test of immutable files is a method of each instance unless the settings give one.
        built_from = (files, self.max_age, self.charset, self.allow_all_origins, self.index_file,
                      self.add_headers_function, repr(getattr(settings, "WHITENOISE_IMMUTABLE_FILE_TEST", None)),
                      getattr(self.immutable_file_test, "__func__", None),
                      repr(getattr(settings, "WHITENOISE_MIMETYPES", None)), repr(settings.STORAGES.get("staticfiles")))
        with _lock:
            kept = _indexes.get((root, prefix))
        if kept is not None and kept[0] == built_from:
            self.files.update(kept[1])
            return
        before, self.files = self.files, {}
        super().update_files_dictionary(root, prefix)
        index, self.files = self.files, before
        with _lock:
            _indexes[(root, prefix)] = (built_from, index)
        self.files.update(index)

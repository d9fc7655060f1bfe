"""WhiteNoise, with its index of a static folder built once per process, not once per handler.

WhiteNoise walks STATIC_ROOT when its middleware is made (each file's stat, content type and
headers). Django makes the middleware once per request handler: a server once per process, but
Django's test client once per client — thousands of times per test run, ≈ 20 s of CPU. The index
is WhiteNoise's own; only who builds it changes. Like WhiteNoise without autorefresh it assumes
the files do not change while the process runs, except that a folder emptied and collected again
(`collectstatic --clear`, which changes the folder's own modification time) is walked again.
With autorefresh (DEBUG) WhiteNoise looks files up per request and nothing is kept here.
"""
from __future__ import annotations

import os
import threading

from django.conf import settings

from whitenoise.middleware import WhiteNoiseMiddleware as _WhiteNoiseMiddleware

_lock = threading.Lock()
_indexes: dict[tuple, dict] = {}


class WhiteNoiseMiddleware(_WhiteNoiseMiddleware):
    def update_files_dictionary(self, root, prefix):
        try:
            modified = os.stat(root).st_mtime_ns
        except OSError:
            return super().update_files_dictionary(root, prefix)
        # What a StaticFile holds depends on these too (its headers).
        # (the test of immutable files is a method of each instance unless the settings give one).
        key = (root, prefix, modified, self.max_age, self.charset, self.allow_all_origins, self.index_file,
               self.add_headers_function, getattr(self.immutable_file_test, "__func__", self.immutable_file_test),
               repr(getattr(settings, "WHITENOISE_MIMETYPES", None)))
        with _lock:
            index = _indexes.get(key)
        if index is None:
            before = self.files
            self.files = {}
            super().update_files_dictionary(root, prefix)
            index, self.files = self.files, before
            with _lock:
                _indexes[key] = index
        self.files.update(index)

"""The test settings: newsapp's own, with what only tests want."""

from __future__ import annotations

import os

from newsapp.settings import *  # noqa: F403
from newsapp.settings import STORAGES

# Hashing passwords at production strength costs most of a login; tests log in often.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Plain static files: no manifest to build before a page can render.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Each test process keeps the screens' drawings apart (tests clear them).
CACHES = {
    **CACHES,  # noqa: F405
    "drawings": {
        **CACHES["drawings"],  # noqa: F405
        "LOCATION": VAR_DIR  # noqa: F405
        / "cache"
        / f"test-drawings-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}",
    },
}
# A commit does not wait for its WAL to reach the disk: the test processes commit
# thousands of times (transactional tests, live servers), and a crash of the test
# server loses at most the last fraction of a second of test data, never its integrity.
DATABASES["default"]["OPTIONS"] = {  # noqa: F405
    **DATABASES["default"]["OPTIONS"],  # noqa: F405
    "options": "-c synchronous_commit=off",
}

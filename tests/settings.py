"""The test settings: newsapp's own, with what only tests want."""

from __future__ import annotations

from newsapp.settings import *  # noqa: F403
from newsapp.settings import STORAGES

# Hashing passwords at production strength costs most of a login; tests log in often.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Plain static files: no manifest to build before a page can render.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

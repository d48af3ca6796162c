"""The cache of what each annotation screen shows (settings.CACHES["drawings"])."""

from __future__ import annotations

import random

from django.core.cache.backends.filebased import FileBasedCache

# The share of writes that count the files to cull the oldest.
CULL_CHANCE = 0.02


class DrawingCache(FileBasedCache):
    """Django's file cache, counting its files on one write in fifty instead of on
    every one: the count lists the whole directory, which cost more than the change it
    served. The directory holds a few dozen files over MAX_ENTRIES at most."""

    def _cull(self) -> None:
        if random.random() < CULL_CHANCE:
            super()._cull()

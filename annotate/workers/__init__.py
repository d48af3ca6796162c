"""Background work that finishes, fails or retries, never hangs: the reaper of runs whose
worker died (reaper.py) and the worker loop around django-tasks-db's that heartbeats,
reaps, rides out a database outage and can supervise itself (loop.py).

Layer 8 (a door, like management/): it may import every package below it; the task
functions it restarts live in ingest/uploads.py and exports/stored.py.
"""

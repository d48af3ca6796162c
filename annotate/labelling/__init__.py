"""The annotator's side: the queue that hands out documents (``queue``), every change an
annotator makes with its undo (``changes``), suggestions (``suggestions``, and the
models' predictions shown as suggestions: ``predicted``), the
detection of cited sources (``citations``), what the annotation screen shows
(``screen``, ``rendering``; long texts in parts: ``paging``) and what a change altered
on it (``drawing``).

May import ``annotate.models``, ``annotate.access`` and ``annotate.ingest.records``;
never review, quality, sources, exports or views.
"""

"""Getting articles in: files -> readers -> DocumentRecords -> the loader -> rows.

- ``records``: the plain records every reader yields (no database).
- ``readers``: one module per format, files, folders and archives; never touch the
  database (they may import ``records``, ``pagedump`` and ``annotate.fullformat`` only).
- ``pagedump``: the cleaner of browser text dumps of news pages.
- ``load``: the one writer of documents and their imported annotations; the command,
  the upload, the full restore (and the API) all go through it.
- ``uploads``: the web upload, run as a background task.

May import ``annotate.models``; never labelling, review, quality, sources, exports or views.
"""

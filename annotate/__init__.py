"""newsapp's one Django app, one package per capability.

Layers, lowest first; a module imports only from its own layer or those below it
(tests/test_layers.py walks the imports and fails on a cycle or an upward import):

0. ``models``: the domain model, with its querysets.
1. ``fullformat``, ``access``, ``webhooks`` (any layer may call ``webhooks.notify``)
   and ``ingest.records`` / ``ingest.readers`` / ``ingest.pagedump`` (readers never
   touch the database).
2. ``ingest``: the one loader of documents and their imported annotations;
   ``projects``: setting a project up from the web (templates and copies, the label
   editor, members, invitations, a manager's direct assignment); ``mlbackend``:
   external model servers (Label Studio's ML backend protocol), in the worker.
3. ``labelling``: the queue, an annotator's changes, suggestions, the screen.
4. ``review``: decisions, adjudication into gold, the review queue.
5. ``quality``: agreement, statistics, charts.
6. ``sources``: the source registry and reference ratings.
7. ``exports``: one writer per JSONL shape, splits, stories.
8. ``views``, ``api``, ``admin``, ``management``, ``templatetags``, ``workers``: the
   doors (HTTP, the REST API, the back office, the command line, the task worker with
   its reaper). Nothing below them imports them.
"""

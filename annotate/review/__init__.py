"""The reviewer's side: accept / reject / reopen decisions with their audit trail
(``decisions``), adjudication of every annotator's version into gold
(``adjudication``), and the review queue sorted by disagreement (``queue``).

May import ``annotate.models``, ``annotate.access`` and ``annotate.labelling``
(the text rendering); never quality, sources, exports or views.
"""

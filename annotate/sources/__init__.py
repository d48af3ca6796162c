"""The source registry: our annotators' reliability ratings aggregated per source,
merging duplicate sources (``registry``), and public reference ratings loaded beside
them (``reference``).

May import ``annotate.models``, ``annotate.ingest.records``, ``annotate.review`` (who
reviews what) and ``annotate.quality`` (agreement); never exports or views.
"""

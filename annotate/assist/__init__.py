"""The recommenders trained on a project's own labels, and their runs (layer 2).

`training` chooses what a recommender learns from (gold, else the accepted version, of
every document outside the fixed held-out slice) and scores it on the held-out gold;
`entities` trains a spaCy NER pipeline from a blank one; `stance` a scikit-learn
classifier over the text and the target; `runs` is the ModelRun lifecycle (queue, train,
save atomically, refresh predictions in chunks, reap runs whose worker died); `tasks` the
background task. Imports only annotate.models, annotate.offsets and annotate.ingest.
"""

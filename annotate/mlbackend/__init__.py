"""External model servers speaking Label Studio's ML backend protocol: the labelling
config newsapp writes for a project's labels (``config``), the HTTP calls (``client``:
/health, /setup, /predict, /webhook) and the background task that sends documents in
chunks and stores what comes back as Prediction rows (``predict``). Everything that
goes wrong is logged as a ModelServerEvent on the project's model page.

Layer 2: imports annotate.models, annotate.offsets and the Label Studio reader's
offset conversion (layer 1) only.
"""

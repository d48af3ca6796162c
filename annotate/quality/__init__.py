"""How good the labels are: inter-annotator agreement (``agreement``), the statistics
page's figures and their stored snapshot (``statistics``), and the SVG charts drawn
from them (``charts``).

May import ``annotate.models``; never sources, exports or views.
"""

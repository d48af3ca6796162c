"""Setting a project up from the web: new projects from templates or from another
project's set-up (``templates``), the label and stance-target editor (``labels``),
members and their roles (``people``), invitations (``invitations``) and a manager's
direct assignment of documents (``assignments``).

Layer 2: imports ``models`` and ``access`` only. Every change is a keyword-only,
atomic function; what a user did wrong is raised as ``SetupError`` with a sentence
the screen shows as it is.
"""

from __future__ import annotations


class SetupError(Exception):
    """A change refused, with the reason in words a manager reads."""

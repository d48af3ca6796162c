#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsapp.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        # A bad setting (DJANGO_DEBUG=ture, HTTPS=1 without SECRET_KEY): the message
        # names it; a traceback would only hide it.
        sys.exit(f"newsapp is not configured correctly: {error}")


if __name__ == "__main__":
    main()

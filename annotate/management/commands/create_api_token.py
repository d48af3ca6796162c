"""Make a personal API token for a user, for a script set up from the server's shell
(the same tokens users make on their own page). The token is printed once: only its
hash is kept."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from annotate.management.base import DatabaseCommand
from annotate.models import ApiToken


class Command(DatabaseCommand):
    help = "Make a personal API token for USERNAME and print it (shown once)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username", metavar="USERNAME")
        parser.add_argument(
            "--name", required=True, help="What the token is for, shown in its list."
        )

    def handle(self, *args, username: str, name: str, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        if not user.is_active:
            raise CommandError(f"{username!r} is deactivated; a token would not work")
        if not name.strip():
            raise CommandError("give the token a --name")
        row, token = ApiToken.objects.issue(user=user, name=name)
        self.stderr.write(
            self.style.SUCCESS(
                f"Token “{row.name}” for {username} (shown once, keep it):"
            )
        )
        # The token alone on standard output, so a script can capture it.
        self.stdout.write(token)

"""Creates an operator, or resets one: a new password and a new TOTP secret (ARCHITECTURE 4.6).

Operators are never self-registered. The people who run the platform make them here: `make operator
EMAIL=... PASSWORD=...` on a checkout with the platform running, or in a cluster

    kubectl exec -it deploy/<release>-auth -- python manage.py create_operator --email ops@example.com

which asks for the password. The password is never taken from the command line (it would sit in
the shell's history and the process list): from `OPERATOR_PASSWORD`, else asked twice on a terminal,
else the first line of standard input. The `otpauth://` URI is printed once (its `secret=` is the
TOTP secret, to add to an authenticator app); running the command again for the same email resets
the password, replaces the secret and signs the operator out everywhere.
"""

from __future__ import annotations

import getpass
import io
import os
import sys

import segno
from django.core.management.base import BaseCommand, CommandError

from accounts import services
from common.errors import ApiError


class Command(BaseCommand):
    help = "Create an operator (or reset its password and TOTP secret); prints the otpauth:// URI once."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", default="", help="shown to other operators (default: the email's name)")

    def handle(self, *args, **options):
        password = self._password()
        try:
            enrolled = services.operator_enrol(email=options["email"], password=password, name=options["name"])
        except ApiError as exc:
            problems = "; ".join(str(m) for messages in exc.details.values() for m in messages) or exc.message
            raise CommandError(f"{exc.message} {problems}".strip()) from exc
        account = enrolled["account"]
        what = "created" if enrolled["created"] else "reset (its sessions are signed out)"
        self.stdout.write(f"Operator {account['email']} {what}.")
        self.stdout.write("Add this to an authenticator app now; it is not shown again:")
        self.stdout.write(enrolled["otpauth_uri"])
        if self.stdout.isatty():
            picture = io.StringIO()
            segno.make(enrolled["otpauth_uri"], error="m").terminal(out=picture, compact=True)
            self.stdout.write(picture.getvalue(), ending="")

    def _password(self) -> str:
        if password := os.environ.get("OPERATOR_PASSWORD"):
            return password
        if sys.stdin.isatty():
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords differ.")
        else:
            password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise CommandError("No password: set OPERATOR_PASSWORD, or type it when asked.")
        return password

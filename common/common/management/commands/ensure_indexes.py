"""Creates the MongoDB indexes the service's repository modules declare (idempotent)."""

import time

from django.core.management.base import BaseCommand, CommandError
from pymongo.errors import ConnectionFailure

from common.mongo import database_name, ensure_indexes


class Command(BaseCommand):
    help = "Create the service's MongoDB indexes; safe to run on every deploy."

    def add_arguments(self, parser):
        parser.add_argument(
            "--wait",
            type=float,
            default=0.0,
            metavar="SECONDS",
            help="keep trying this long while MongoDB is unreachable (an init container starting with it)",
        )

    def handle(self, *args, **options):
        deadline = time.monotonic() + options["wait"]
        while True:
            try:
                created = ensure_indexes()
                break
            except ConnectionFailure as exc:
                if time.monotonic() >= deadline:
                    raise CommandError(f"MongoDB unreachable: {exc}") from exc
                self.stderr.write("MongoDB not reachable yet; retrying in 2 s")
                time.sleep(2)
        self.stdout.write(f"{database_name()}: {len(created)} indexes ensured")

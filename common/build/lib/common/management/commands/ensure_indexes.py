"""Creates the MongoDB indexes the service's repository modules declare (idempotent)."""

from django.core.management.base import BaseCommand

from common.mongo import database_name, ensure_indexes


class Command(BaseCommand):
    help = "Create the service's MongoDB indexes; safe to run on every deploy."

    def handle(self, *args, **options):
        created = ensure_indexes()
        self.stdout.write(f"{database_name()}: {len(created)} indexes ensured")

"""Runs the service's background loops in the foreground, without serving (common/background.py)."""

import signal
import threading

from django.core.management.base import BaseCommand

from common import background


class Command(BaseCommand):
    help = (
        "Run this service's background loops until stopped (SIGTERM or Ctrl-C), as the ASGI server's "
        "lifespan does; each loop's period is its setting, 0 switches it off."
    )

    def add_arguments(self, parser):
        parser.add_argument("--list", action="store_true", help="list the loops, their periods and why each is safe")

    def handle(self, *args, **options):
        loops = background.declared_loops()
        if options["list"]:
            for loop in loops:
                period = f"every {loop.period_s():g} s" if loop.period_s() > 0 else "off"
                kick = ", kickable" if loop.on_kick is not None else ""
                self.stdout.write(f"{loop.name} ({loop.period_setting}: {period}{kick}): safe because {loop.replicas}")
            return
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
        started = background.start(loops).running
        self.stdout.write(f"running: {', '.join(started) or 'nothing (every loop is switched off)'}")
        try:
            while not stopped.wait(3600):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            background.stop()
        self.stdout.write("stopped")

"""`manage.py experimentworker`: run experiment cells claimed from the database, next to Daphne."""
import asyncio
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from chat.experiments import workers


class Command(BaseCommand):
    help = "Run the cells of running experiments (PLAYGROUND_EXPERIMENT_WORKERS=1); stops cleanly on SIGTERM/SIGINT."

    def handle(self, *args, **options):
        if not settings.PLAYGROUND_EXPERIMENT_WORKERS:
            raise CommandError("Set PLAYGROUND_EXPERIMENT_WORKERS=1 (with REDIS_URL and PostgreSQL) to run workers; "
                               "without it the server runs every cell itself.")
        asyncio.run(self.serve())

    async def serve(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        self.stdout.write("Experiment worker ready.", ending="\n")
        self.stdout.flush()
        await workers.serve(stop, report=self.stdout.write)
        self.stdout.write("Experiment worker stopped.")

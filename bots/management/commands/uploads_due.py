import time
import uuid

from django.core.management.base import BaseCommand
from django.utils import timezone

from bots.management.commands.upload_media import outcomes_text
from bots.models import Bot
from bots.pipeline.schedule import next_due_at, uploads_due
from bots.pipeline.uploads import media_upload


class Command(BaseCommand):
    help = (
        "Upload, in this process, every file whose upload is due (what the beat task "
        "run_due_work queues). With --wait, keep at it until no file is waiting."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--wait",
            action="store_true",
            help="Sleep until the next file is due and go on, until every file is uploaded "
            "or given up.",
        )

    def handle(self, *args, wait: bool, **options):
        owner = f"command-{uuid.uuid4().hex}"
        while True:
            for bot in Bot.objects.select_related("tenant").filter(pk__in=uploads_due()):
                outcomes = media_upload(bot=bot, owner=owner)
                self.stdout.write(f"{bot.public_id}: {outcomes_text(outcomes)}")
            due_at = next_due_at()
            if not wait or (due_at is None and not uploads_due()):
                return
            if due_at is not None:
                time.sleep(max(0.0, (due_at - timezone.now()).total_seconds()) + 0.05)

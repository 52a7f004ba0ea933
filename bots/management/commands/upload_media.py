import uuid

from django.core.management.base import BaseCommand, CommandError

from bots.models import Bot
from bots.uploads import media_upload


class Command(BaseCommand):
    help = "Upload a bot's unfinished media now, in this process, to its pinned location."

    def add_arguments(self, parser):
        parser.add_argument("bot_id")

    def handle(self, *args, bot_id, **options):
        bot = Bot.objects.select_related("tenant").filter(public_id=bot_id).first()
        if bot is None:
            raise CommandError(f"No bot {bot_id}.")
        summary = media_upload(bot=bot, owner=f"command-{uuid.uuid4().hex}")
        self.stdout.write(f"{bot.public_id}: {summary.uploaded} uploaded, {summary.failed} failed")

import uuid

from django.core.management.base import BaseCommand, CommandError

from bots.models import Bot
from bots.pipeline.redelivery import uploads_redeliver
from bots.pipeline.uploads import media_upload
from meetstream.shared.memory import malloc_arenas_limit


class Command(BaseCommand):
    help = "Upload a bot's due media now, in this process, to its pinned location."

    def add_arguments(self, parser):
        parser.add_argument("bot_id")
        parser.add_argument(
            "--retry", action="store_true", help="First put its given-up files back to staged."
        )

    def handle(self, *args, bot_id, retry, **options):
        bot = Bot.objects.select_related("tenant").filter(public_id=bot_id).first()
        if bot is None:
            raise CommandError(f"No bot {bot_id}.")
        malloc_arenas_limit()  # as a worker does
        if retry:
            uploads_redeliver(bots=[bot.pk])
        outcomes = media_upload(bot=bot, owner=f"command-{uuid.uuid4().hex}")
        self.stdout.write(f"{bot.public_id}: {outcomes_text(outcomes)}")


def outcomes_text(outcomes) -> str:
    states = ("uploaded", "retry_wait", "gave_up")
    return ", ".join(f"{outcomes[state]} {state}" for state in states)

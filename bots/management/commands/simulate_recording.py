from django.core.management.base import BaseCommand, CommandError

from bots.bot.selectors import bot_media_summary
from bots.models import Bot
from bots.recorder.simulation import DEMO_SECONDS, meeting_simulate
from meetstream.shared.errors import DomainError


class Command(BaseCommand):
    help = (
        "Play the recorder for an existing bot, in real time: join, stay --seconds, hand "
        "realistic media over, then report it left."
    )

    def add_arguments(self, parser):
        parser.add_argument("bot_id")
        parser.add_argument("--screenshots", type=int, default=3)
        parser.add_argument("--seconds", type=float, default=DEMO_SECONDS)
        parser.add_argument(
            "--video-bytes", type=int, default=0, help="pad the demo clip up to this size"
        )

    def handle(self, *args, bot_id, screenshots, seconds, video_bytes, **options):
        if screenshots < 0 or not 0 < seconds <= 3600 or video_bytes < 0:
            raise CommandError(
                "--screenshots and --video-bytes must be 0 or more; --seconds above 0 and at "
                "most 3600."
            )
        bot = Bot.objects.select_related("tenant").filter(public_id=bot_id).first()
        if bot is None:
            raise CommandError(f"No bot {bot_id}.")
        try:
            meeting_simulate(
                bot=bot,
                screenshots=screenshots,
                seconds=seconds,
                video_bytes=video_bytes,
            )
        except DomainError as refused:
            raise CommandError(refused.message) from None
        bot.refresh_from_db()
        media = bot_media_summary(bot=bot)
        self.stdout.write(
            f"{bot.public_id}: {bot.status}, media {media['state']} "
            f"({media['uploaded']}/{media['artifacts']} uploaded)"
        )

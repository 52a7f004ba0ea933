from django.core.management.base import BaseCommand, CommandError

from bots.models import Bot
from bots.selectors import bot_media_summary
from bots.simulation import meeting_simulate
from meetstream.errors import ApiError


class Command(BaseCommand):
    help = "Play the recorder for an existing bot: stage realistic media, then report it left."

    def add_arguments(self, parser):
        parser.add_argument("bot_id")
        parser.add_argument("--screenshots", type=int, default=3)
        parser.add_argument("--audio-seconds", type=float, default=5.0)
        parser.add_argument("--video-bytes", type=int, default=1024 * 1024)

    def handle(self, *args, bot_id, screenshots, audio_seconds, video_bytes, **options):
        if screenshots < 0 or audio_seconds <= 0 or video_bytes <= 0:
            raise CommandError(
                "--screenshots must be 0 or more; --audio-seconds and --video-bytes above 0."
            )
        bot = Bot.objects.select_related("tenant").filter(public_id=bot_id).first()
        if bot is None:
            raise CommandError(f"No bot {bot_id}.")
        try:
            meeting_simulate(
                bot=bot,
                screenshots=screenshots,
                audio_seconds=audio_seconds,
                video_bytes=video_bytes,
            )
        except ApiError as refused:
            raise CommandError(refused.message) from None
        bot.refresh_from_db()
        media = bot_media_summary(bot=bot)
        self.stdout.write(
            f"{bot.public_id}: {bot.status}, media {media['state']} "
            f"({media['uploaded']}/{media['artifacts']} uploaded)"
        )

from django.core.management.base import BaseCommand

from bots.bot.retention import media_expire


class Command(BaseCommand):
    help = (
        "Delete what the platform holds (platform-bucket objects, staged copies) of every bot "
        "whose retention ran out, and mark it MediaExpired (what the task expire_media, queued "
        "by beat's run_due_work, does). A customer's own bucket is never touched."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only say what would be deleted."
        )

    def handle(self, *args, dry_run: bool, **options):
        report = media_expire(dry_run=dry_run)
        verb = "would expire" if dry_run else "expired"
        self.stdout.write(
            f"{verb} {len(report.bots)} bot(s): {report.objects} platform object(s), "
            f"{report.staged} staged cop(ies)"
        )
        for bot_id in report.bots:
            self.stdout.write(f"  {bot_id}")

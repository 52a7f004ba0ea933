from django.apps import AppConfig


class BotsConfig(AppConfig):
    name = "bots"
    # The admin's breadcrumb then reads "Meeting bots > Bots", not "Bots > Bots".
    verbose_name = "Meeting bots"

    def ready(self) -> None:
        from bots.bot.lifecycle import BotStatus
        from meetstream.shared.schema import error_vocabulary

        error_vocabulary("status", BotStatus.values)

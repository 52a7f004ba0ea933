from django.apps import AppConfig


class BotsConfig(AppConfig):
    name = "bots"

    def ready(self) -> None:
        from bots.bot.lifecycle import BotStatus
        from meetstream.shared.schema import error_vocabulary

        error_vocabulary("status", BotStatus.values)

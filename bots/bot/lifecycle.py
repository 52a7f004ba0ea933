"""The bot lifecycle as one table: which event moves a bot from which statuses to which."""

from django.db import models


class BotStatus(models.TextChoices):
    JOINING = "Joining"
    IN_MEETING = "InMeeting"
    STOPPED = "Stopped"
    DONE = "Done"
    ERROR = "Error"
    MEDIA_EXPIRED = "MediaExpired"  # the retention ran out: what the platform held is deleted


class BotEventType(models.TextChoices):
    JOINED = "joined"
    LEFT = "left"
    MEDIA_UPLOADED = "media_uploaded"
    FAILED = "failed"
    MEDIA_EXPIRED = "media_expired"
    # Records, not changes of status: who asked for a deletion, and when it finished.
    DELETION_REQUESTED = "deletion_requested"
    MEDIA_DELETED = "media_deleted"


TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    BotEventType.JOINED: (frozenset({BotStatus.JOINING}), BotStatus.IN_MEETING),
    BotEventType.LEFT: (frozenset({BotStatus.JOINING, BotStatus.IN_MEETING}), BotStatus.STOPPED),
    BotEventType.MEDIA_UPLOADED: (frozenset({BotStatus.STOPPED}), BotStatus.DONE),
    BotEventType.FAILED: (frozenset({BotStatus.JOINING, BotStatus.IN_MEETING}), BotStatus.ERROR),
    BotEventType.MEDIA_EXPIRED: (
        frozenset({BotStatus.STOPPED, BotStatus.DONE, BotStatus.ERROR}),
        BotStatus.MEDIA_EXPIRED,
    ),
}
# A bot still in (or joining) its meeting: the recorder may hand files over; none is uploaded.
RECORDING = frozenset({BotStatus.JOINING, BotStatus.IN_MEETING})
# A bot whose meeting and upload are over: its media may be deleted, or expire.
SETTLED = frozenset({BotStatus.DONE, BotStatus.ERROR, BotStatus.MEDIA_EXPIRED})


class IllegalTransition(Exception):
    def __init__(self, status: str, event: str) -> None:
        super().__init__(f"A bot that is {status} cannot take the event '{event}'.")
        self.status = status
        self.event = event


def next_status(status: str, event: str) -> str:
    sources, target = TRANSITIONS[event]
    if status not in sources:
        raise IllegalTransition(status, event)
    return target

from django.db import models

from bots.bot.lifecycle import BotEventType, BotStatus
from bots.bot.removal_lifecycle import RemovalReason, RemovalState
from bots.pipeline.upload_lifecycle import UNFINISHED, UploadState
from bots.webhooks.lifecycle import OPEN, WebhookState
from meetstream.shared.ids import new_webhook_message_id, public_id
from meetstream.shared.logcontext import log_bind
from meetstream.tenants.models import Tenant
from storageconfig.models import StorageConfig


def new_bot_id() -> str:
    return public_id("bot")


def new_transcript_id() -> str:
    return public_id("tr")


class Platform(models.TextChoices):
    ZOOM = "zoom"
    GOOGLE_MEET = "google_meet"
    TEAMS = "teams"


class Bot(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=new_bot_id, editable=False)
    # Bots are permanent: a tenant that has any cannot be deleted.
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="bots")
    bot_name = models.CharField(max_length=100)
    meeting_link = models.URLField(max_length=2048)
    platform = models.CharField(max_length=16, choices=Platform.choices)
    callback_url = models.URLField(max_length=2048, blank=True, default="")
    transcript_id = models.CharField(
        max_length=32, unique=True, default=new_transcript_id, editable=False
    )
    transcript_provider = models.CharField(max_length=64, default="meetstream")
    status = models.CharField(max_length=16, choices=BotStatus.choices, default=BotStatus.JOINING)
    created_at = models.DateTimeField(auto_now_add=True)
    left_at = models.DateTimeField(null=True, blank=True)
    # Retention of what the platform holds, counted from when the bot left; null: forever.
    retention_hours = models.PositiveIntegerField(null=True, blank=True)
    media_expires_at = models.DateTimeField(null=True, blank=True)
    deletion_requested_at = models.DateTimeField(null=True, blank=True)
    deletion_finished_at = models.DateTimeField(null=True, blank=True)
    # When this round's upload ended and its storage.delivered (and storage.fallback_used)
    # event was written: once per round; a redelivery starts another.
    delivery_reported_at = models.DateTimeField(null=True, blank=True)
    # When storage.fallback_used was written: once per bot.
    fallback_reported_at = models.DateTimeField(null=True, blank=True)
    # The named storage configuration create_bot chose ("": the default one, else the platform).
    storage_config_name = models.CharField(
        "storage configuration chosen", max_length=64, blank=True, default=""
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The listing's order, ties included: a page is read off the index.
            models.Index(fields=["tenant", "-created_at", "-id"], name="bots_bot_listing"),
            models.Index(
                fields=["media_expires_at"],
                condition=models.Q(media_expires_at__isnull=False)
                & ~models.Q(status="MediaExpired"),
                name="bots_bot_expiring",
            ),
            models.Index(
                fields=["deletion_requested_at"],
                condition=models.Q(deletion_requested_at__isnull=False)
                & models.Q(deletion_finished_at__isnull=True),
                name="bots_bot_deleting",
            ),
        ]

    def __str__(self) -> str:
        return self.public_id

    def log_bind(self) -> None:
        """Name this bot and its tenant in every log line of the current request or task."""
        log_bind(bot_id=self.public_id, tenant=self.tenant.public_id)


class BotEvent(models.Model):
    """One row per lifecycle change, written with the change itself."""

    bot = models.ForeignKey(Bot, on_delete=models.CASCADE, related_name="events")
    event = models.CharField(max_length=32, choices=BotEventType.choices)
    from_status = models.CharField(max_length=16, choices=BotStatus.choices)
    to_status = models.CharField(max_length=16, choices=BotStatus.choices)
    # Who made it happen when a person did: "api" or "staff:<user name>".
    actor = models.CharField(max_length=160, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.event}: {self.from_status} → {self.to_status}"


class Pin(models.Model):
    """Where a bot's media went, fixed once when its upload starts and never changed after.

    `storage_config` is the revision of the bot's configuration (the named one it chose, or
    the default) that was active then; null means the platform bucket.
    """

    bot = models.OneToOneField(Bot, on_delete=models.CASCADE, primary_key=True, related_name="pin")
    storage_config = models.ForeignKey(
        StorageConfig, on_delete=models.RESTRICT, null=True, blank=True, related_name="pins"
    )
    # The provider's backend and where, in its terms: {"bucket": ..., ...} (aws adds region and
    # endpoint_url; azure, account_name and endpoint_url).
    provider = models.CharField(max_length=16, default="aws")
    location = models.JSONField(default=dict)
    prefixes = models.JSONField()  # every category's resolved prefix
    key_template = models.CharField(max_length=512, blank=True, default="")  # "": the guide's
    pinned_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.bot_id} → {self.provider}://{self.bucket}"

    @property
    def bucket(self) -> str:
        return self.location["bucket"]

    @property
    def is_platform(self) -> bool:
        return self.storage_config_id is None


class BotArtifact(models.Model):
    """One file of a bot: staged locally first, then uploaded to its pinned bucket and key."""

    bot = models.ForeignKey(Bot, on_delete=models.CASCADE, related_name="artifacts")
    name = models.CharField(max_length=255)
    category = models.CharField(max_length=16)
    content_type = models.CharField(max_length=64)
    staged_name = models.CharField(max_length=255, blank=True, default="")
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    captured_at = models.DateTimeField(null=True, blank=True)  # screenshots only
    bucket = models.CharField(max_length=63, blank=True, default="")
    key = models.CharField(max_length=1024, blank=True, default="")
    # Moved only through bots.pipeline.upload_lifecycle.UPLOADS.
    state = models.CharField(max_length=16, choices=UploadState.choices, default=UploadState.STAGED)
    attempts = models.PositiveIntegerField(default=0)  # failed or finished tries this round
    next_attempt_at = models.DateTimeField(null=True, blank=True)  # in retry_wait
    last_error = models.TextField(blank=True, default="")
    last_reason = models.CharField(max_length=32, blank=True, default="")
    # The lease of the upload holding the file (uploading), renewed while it runs.
    claimed_by = models.CharField(max_length=64, blank=True, default="")
    claimed_until = models.DateTimeField(null=True, blank=True)
    # The multipart upload its last attempt began and did not complete: the next one aborts it.
    multipart_upload_id = models.CharField(max_length=1024, blank=True, default="")
    # What the bucket answered when it stored the file (the receipt, the manifest, verify):
    # its ETag, its version (empty when the bucket does not version) and the checksum it
    # checked the bytes against on write ("crc32:<base64>", "crc32c:...", "md5:...").
    etag = models.CharField(max_length=128, blank=True, default="")
    version_id = models.CharField(max_length=1024, blank=True, default="")
    checksum = models.CharField(max_length=128, blank=True, default="")
    # Given up: its staged copy is kept until then for a redelivery (MEDIA_HOLD_HOURS).
    held_until = models.DateTimeField(null=True, blank=True)
    # Given up at the tenant's bucket and stored in the platform bucket under `key` instead
    # (the configuration's `fallback: "platform"`).
    fallback = models.BooleanField(default=False)
    uploaded_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)  # expired or deleted
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["bot", "name"]
        constraints = [
            models.UniqueConstraint(fields=["bot", "name"], name="bots_artifact_unique_name")
        ]
        indexes = [
            models.Index(
                fields=["state", "next_attempt_at"],
                condition=models.Q(state__in=sorted(UNFINISHED)),
                name="bots_artifact_unfinished",
            ),
            # bots.bot.media_state asks, per bot, whether (or how many) files are in a state.
            models.Index(fields=["bot", "state"], name="bots_artifact_bot_state"),
            # The given-up gauge counts these at each metrics scrape.
            models.Index(
                fields=["state"], condition=models.Q(state="gave_up"), name="bots_artifact_gave_up"
            ),
            models.Index(
                fields=["bot", "captured_at", "name"],
                condition=models.Q(name__startswith="screenshots/", name__endswith=".png"),
                name="bots_artifact_screenshots",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bot_id}:{self.name}"


class WebhookEvent(models.Model):
    """One event for a bot's callback_url, or for a tenant's storage `notify_url` (no bot),
    written with the change it reports."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    bot = models.ForeignKey(
        Bot, on_delete=models.CASCADE, null=True, blank=True, related_name="webhook_events"
    )
    # `webhook-id`: the same on every retry, random, so it tells nothing of other tenants.
    public_id = models.CharField(max_length=40, unique=True, default=new_webhook_message_id)
    event = models.CharField(max_length=64)
    url = models.URLField(max_length=2048)
    payload = models.JSONField()
    # Moved only through bots.webhooks.lifecycle.WEBHOOKS.
    state = models.CharField(
        max_length=16, choices=WebhookState.choices, default=WebhookState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # The lease of the delivery holding the event (delivering).
    claimed_by = models.CharField(max_length=64, blank=True, default="")
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="bots_webhook_due"),
            # Each bot's oldest open event, and a tenant's deliveries in flight.
            models.Index(
                fields=["bot", "id"],
                condition=models.Q(state__in=sorted(OPEN)),
                name="bots_webhook_open",
            ),
            models.Index(
                fields=["tenant", "id"],
                condition=models.Q(state__in=sorted(OPEN)),
                name="bots_webhook_tenant_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} for {self.bot_id or self.tenant_id}"


class MediaRemoval(models.Model):
    """A bot's media to delete, on request or because its retention ran out: the work's
    schedule and lease. When it was asked and when it finished stay on the bot."""

    bot = models.ForeignKey(Bot, on_delete=models.CASCADE, related_name="removals")
    reason = models.CharField(max_length=16, choices=RemovalReason.choices)
    # Moved only through bots.bot.removal_lifecycle.REMOVALS.
    state = models.CharField(
        max_length=16, choices=RemovalState.choices, default=RemovalState.SCHEDULED
    )
    attempts = models.PositiveIntegerField(default=0)  # refused tries since it was asked
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True, default="")
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bot", "reason"], name="bots_removal_unique_reason")
        ]
        indexes = [
            models.Index(
                fields=["state", "next_attempt_at"],
                condition=models.Q(state__in=["scheduled", "removing"]),
                name="bots_removal_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reason} removal of {self.bot_id}: {self.state}"


class WebhookAttempt(models.Model):
    """One try at delivering an event: what the receiver answered, or why nothing did."""

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="tries")
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    duration_ms = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.event_id}: {self.status_code or self.error}"


class IdempotencyKey(models.Model):
    """A create_bot request under an `Idempotency-Key`: one bot per key per tenant, and the
    answer it got, replayed to the same request for a day."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_sha256 = models.CharField(max_length=64)
    bot = models.ForeignKey(Bot, on_delete=models.CASCADE, related_name="+")
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="bots_idempotency_key_unique")
        ]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.tenant_id}:{self.key}"

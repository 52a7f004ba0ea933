"""Bots are a record of what happened: staff read them and may retry or re-send, and delete a
bot's media after a confirmation; never edit or delete a bot, its pin, files or events (the
guide promises where a bot's media went stays known)."""

from django.contrib import admin, messages
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse

from bots.bot.deletion import deletable, deletion_request
from bots.bot.lifecycle import BotStatus
from bots.bot.media_state import MEDIA_STATES, with_media
from bots.models import (
    Bot,
    BotArtifact,
    BotEvent,
    MediaRemoval,
    Pin,
    WebhookAttempt,
    WebhookEvent,
)
from bots.pipeline.redelivery import uploads_redeliver
from bots.pipeline.upload_lifecycle import UploadState
from bots.tasks import dispatch_webhooks, upload_bot_media
from bots.webhooks.delivery import webhook_resend
from meetstream.shared.display import key_values, moment, shortened
from meetstream.shared.errors import Conflict


class ReadOnly:
    """No add, no change (so no Save), no delete (so no Delete, nor 'Delete selected')."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BotPartInline(ReadOnly):
    """A bot's pin, files and events are part of the bot: seeing the bot shows them."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("bots.view_bot") or request.user.has_perm("bots.change_bot")


class PinInline(BotPartInline, admin.StackedInline):
    model = Pin
    verbose_name_plural = "where its media went (the pin)"
    fields = ["storage_config", "provider", "where", "prefixes_shown", "key_template", "pinned_at"]
    readonly_fields = fields

    @admin.display(description="location")
    def where(self, pin: Pin) -> str:
        return key_values(pin.location)

    @admin.display(description="prefixes")
    def prefixes_shown(self, pin: Pin) -> str:
        return key_values(pin.prefixes)


class BotArtifactInline(BotPartInline, admin.TabularInline):
    model = BotArtifact
    verbose_name_plural = "files"
    fields = ["file", "object_key", "size_shown", "upload", "next_attempt_at", "error"]
    readonly_fields = fields

    @admin.display(description="size")
    def size_shown(self, artifact: BotArtifact) -> str:
        return shortened(filesizeformat(artifact.size), 12, title=f"{artifact.size:,} bytes")

    @admin.display(description="file")
    def file(self, artifact: BotArtifact) -> str:
        return shortened(artifact.name, 28)

    @admin.display(description="key (bucket in the pin)")
    def object_key(self, artifact: BotArtifact) -> str:
        return shortened(artifact.key, 24)

    @admin.display(description="state (attempts)")
    def upload(self, artifact: BotArtifact) -> str:
        return f"{artifact.state} ({artifact.attempts})"

    @admin.display(description="last error")
    def error(self, artifact: BotArtifact) -> str:
        return shortened(artifact.last_error, 32)


class BotEventInline(BotPartInline, admin.TabularInline):
    model = BotEvent
    fields = ["event", "from_status", "to_status", "actor", "created_at"]
    readonly_fields = fields


class WebhookEventInline(BotPartInline, admin.TabularInline):
    model = WebhookEvent
    fields = ["event", "state", "attempts", "next_attempt_at", "delivered_at", "created_at"]
    readonly_fields = fields


class MediaRemovalInline(BotPartInline, admin.TabularInline):
    """A deletion on request or a retention expiry: where it stands, and why it waits."""

    model = MediaRemoval
    fields = ["reason", "state", "attempts", "next_attempt_at", "last_error", "updated_at"]
    readonly_fields = fields


class WebhookAttemptInline(ReadOnly, admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ["created_at", "status_code", "error", "duration_ms"]
    readonly_fields = fields


class StaffActions:
    """Actions that start work (never edit a row) need the model's change permission.

    ('Delete selected' needs the delete permission, which ReadOnly withholds.)"""

    def has_act_permission(self, request):
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")


@admin.register(WebhookEvent)
class WebhookEventAdmin(StaffActions, ReadOnly, admin.ModelAdmin):
    """Every event sent to a receiver, with a row per delivery attempt."""

    list_display = ["event", "bot", "tenant", "state", "attempts", "created_at", "delivered_at"]
    list_filter = ["state", "event"]
    search_fields = ["bot__public_id", "tenant__name"]
    list_select_related = ["bot", "tenant"]
    fields = [
        "tenant",
        "bot",
        "event",
        "url",
        "payload",
        "state",
        "attempts",
        "next_attempt_at",
        "delivered_at",
    ]
    readonly_fields = fields
    inlines = [WebhookAttemptInline]
    actions = ["resend"]

    @admin.action(description="Send the selected events again", permissions=["act"])
    def resend(self, request, queryset):
        tenants = webhook_resend(events=queryset)
        for tenant_pk in tenants:
            dispatch_webhooks.delay(tenant_pk)
        self.message_user(
            request, f"Queued the events again for {len(tenants)} tenant(s).", messages.SUCCESS
        )


class MediaStateFilter(admin.SimpleListFilter):
    """The media state the API shows (bots.bot.media_state's one SQL expression). The filter's
    former values still work: gave_up, retry_wait, unfinished."""

    title = "media state"
    parameter_name = "media"
    FORMER = {
        "gave_up": ("partial", "failed"),
        "retry_wait": ("retrying",),
        "unfinished": ("pending", "uploading", "retrying"),
    }

    def lookups(self, request, model_admin):
        return [(state, state) for state in MEDIA_STATES]

    def queryset(self, request, queryset):
        value = self.value()
        states = self.FORMER.get(value, (value,) if value in MEDIA_STATES else ())
        # The changelist's queryset carries the annotation already (BotAdmin.get_queryset).
        return queryset.filter(media_state__in=states) if states else queryset


class RetentionFilter(admin.SimpleListFilter):
    title = "retention"
    parameter_name = "retention"

    def lookups(self, request, model_admin):
        return [("forever", "Forever"), ("timed", "Timed"), ("expired", "Media expired")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "forever":
            return queryset.filter(retention_hours__isnull=True)
        if value == "timed":
            return queryset.filter(retention_hours__isnull=False)
        if value == "expired":
            return queryset.filter(status=BotStatus.MEDIA_EXPIRED)
        return queryset


class DeletionFilter(admin.SimpleListFilter):
    title = "deletion"
    parameter_name = "deletion"

    def lookups(self, request, model_admin):
        return [("none", "Not asked"), ("deleting", "Deleting"), ("deleted", "Deleted")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(deletion_requested_at__isnull=True)
        if value == "deleting":
            return queryset.filter(
                deletion_requested_at__isnull=False, deletion_finished_at__isnull=True
            )
        if value == "deleted":
            return queryset.filter(deletion_finished_at__isnull=False)
        return queryset


@admin.register(Bot)
class BotAdmin(StaffActions, ReadOnly, admin.ModelAdmin):
    list_display = [
        "public_id",
        "tenant",
        "platform",
        "status",
        "media_state_shown",
        "stored_in",
        "retention",
        "deletion",
        "created",
        "left",
    ]
    list_filter = [
        "status",
        MediaStateFilter,
        RetentionFilter,
        DeletionFilter,
        "platform",
        "tenant",
    ]
    list_select_related = ["tenant", "pin"]
    search_fields = ["public_id", "transcript_id"]
    fields = [
        "public_id",
        "tenant",
        "bot_name",
        "meeting_link",
        "platform",
        "status",
        "transcript_id",
        "transcript_provider",
        "storage_config_name",
        "callback_url",
        "created_at",
        "left_at",
        "retention_hours",
        "media_expires_at",
        "deletion_requested_at",
        "deletion_finished_at",
    ]
    readonly_fields = fields
    inlines = [
        PinInline,
        BotArtifactInline,
        BotEventInline,
        WebhookEventInline,
        MediaRemovalInline,
    ]
    actions = ["retry_given_up_uploads", "delete_media"]

    def get_queryset(self, request):
        return with_media(super().get_queryset(request))

    @admin.display(description="media", ordering="media_state")
    def media_state_shown(self, bot: Bot) -> str:
        return bot.media_state

    @admin.display(description="stored in")
    def stored_in(self, bot: Bot) -> str:
        """Where its media went (its pin), without opening it."""
        pin = getattr(bot, "pin", None)
        if pin is None:
            return "not yet"
        if pin.is_platform:
            return shortened("platform bucket", 15, title=f"{pin.provider}://{pin.bucket}")
        return shortened(f"{pin.provider} · {pin.bucket}", 40, head=True)

    @admin.display(description="created", ordering="created_at")
    def created(self, bot: Bot) -> str:
        return moment(bot.created_at)

    @admin.display(description="left", ordering="left_at")
    def left(self, bot: Bot) -> str:
        return moment(bot.left_at)

    @admin.display(description="retention")
    def retention(self, bot: Bot) -> str:
        if bot.retention_hours is None:
            return "forever"
        return f"{bot.retention_hours} h"

    @admin.display(description="deletion")
    def deletion(self, bot: Bot) -> str:
        if bot.deletion_finished_at:
            return "deleted"
        return "deleting" if bot.deletion_requested_at else "-"

    @admin.action(description="Delete the media of the selected bots…", permissions=["act"])
    def delete_media(self, request, queryset):
        """The one destructive action: a confirmation page first, then a deletion per bot,
        recorded as a bot event with the staff member's name."""
        bots = list(queryset.select_related("tenant"))
        if request.POST.get("confirmed") != "yes":
            for bot in bots:
                bot.deletable = deletable(bot)
            context = {
                **self.admin_site.each_context(request),
                "title": "Delete the media of these bots?",
                "bots": bots,
            }
            return TemplateResponse(request, "admin/bots/delete_media_confirmation.html", context)
        asked, refused = 0, []
        for bot in bots:
            try:
                deletion_request(bot=bot, actor=f"staff:{request.user.get_username()}")
                asked += 1
            except Conflict:
                refused.append(bot.public_id)
        self.message_user(request, f"Deleting the media of {asked} bot(s).", messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                f"Still recording or uploading, left alone: {', '.join(refused)}.",
                messages.WARNING,
            )
        return None

    @admin.action(
        description="Retry given-up uploads (to the pinned location)", permissions=["act"]
    )
    def retry_given_up_uploads(self, request, queryset):
        bots = list(
            queryset.filter(status="Stopped", artifacts__state=UploadState.GAVE_UP)
            .values_list("pk", flat=True)
            .distinct()
        )
        files = uploads_redeliver(bots=bots)
        for bot_pk in bots:
            upload_bot_media.delay(bot_pk)
        self.message_user(
            request, f"Queued {files} file(s) of {len(bots)} bot(s) again.", messages.SUCCESS
        )

from django.contrib import admin, messages

from bots.models import ArtifactState, Bot, BotArtifact, BotEvent, Pin, WebhookAttempt, WebhookEvent
from bots.tasks import upload_bot_media


class BotPartInline:
    """A bot's pin, files and events are part of the bot: seeing the bot shows them."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("bots.view_bot") or request.user.has_perm("bots.change_bot")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PinInline(BotPartInline, admin.StackedInline):
    model = Pin
    fields = ["storage_config", "bucket", "region", "endpoint_url", "prefixes", "pinned_at"]
    readonly_fields = fields


class BotArtifactInline(BotPartInline, admin.TabularInline):
    model = BotArtifact
    fields = ["name", "bucket", "key", "size", "state", "attempts", "last_error", "uploaded_at"]
    readonly_fields = fields


class BotEventInline(BotPartInline, admin.TabularInline):
    model = BotEvent
    fields = ["event", "from_status", "to_status", "created_at"]
    readonly_fields = fields


class WebhookEventInline(BotPartInline, admin.TabularInline):
    model = WebhookEvent
    fields = ["event", "state", "attempts", "next_attempt_at", "delivered_at", "created_at"]
    readonly_fields = fields


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ["created_at", "status_code", "error", "duration_ms"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    """Every event sent to a receiver, with a row per delivery attempt."""

    list_display = ["event", "bot", "state", "attempts", "created_at", "delivered_at"]
    list_filter = ["state", "event"]
    search_fields = ["bot__public_id"]
    list_select_related = ["bot"]
    fields = [
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

    def has_add_permission(self, request):
        return False


class MediaStateFilter(admin.SimpleListFilter):
    title = "media state"
    parameter_name = "media"

    def lookups(self, request, model_admin):
        return [
            ("failed", "Has failed files"),
            ("unfinished", "Has files not uploaded yet"),
            ("uploaded", "Everything uploaded"),
        ]

    def queryset(self, request, queryset):
        unfinished = [ArtifactState.PENDING, ArtifactState.FAILED]
        if self.value() == "failed":
            return queryset.filter(artifacts__state=ArtifactState.FAILED).distinct()
        if self.value() == "unfinished":
            return queryset.filter(artifacts__state=ArtifactState.PENDING).distinct()
        if self.value() == "uploaded":
            return (
                queryset.filter(artifacts__isnull=False)
                .exclude(artifacts__state__in=unfinished)
                .distinct()
            )
        return queryset


@admin.register(Bot)
class BotAdmin(admin.ModelAdmin):
    list_display = ["public_id", "tenant", "platform", "status", "created_at", "left_at"]
    list_filter = ["status", MediaStateFilter, "platform", "tenant"]
    list_select_related = ["tenant"]
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
        "callback_url",
        "created_at",
        "left_at",
    ]
    readonly_fields = fields
    inlines = [PinInline, BotArtifactInline, BotEventInline, WebhookEventInline]
    actions = ["retry_failed_uploads"]

    def has_add_permission(self, request):
        return False

    @admin.action(
        description="Retry failed uploads (to the pinned location)", permissions=["change"]
    )
    def retry_failed_uploads(self, request, queryset):
        bots = list(
            queryset.filter(status="Stopped", artifacts__state=ArtifactState.FAILED)
            .values_list("pk", flat=True)
            .distinct()
        )
        for bot_pk in bots:
            upload_bot_media.delay(bot_pk)
        self.message_user(request, f"Queued the upload of {len(bots)} bot(s).", messages.SUCCESS)

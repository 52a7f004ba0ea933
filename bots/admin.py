from django.contrib import admin

from bots.models import Bot, BotArtifact, BotEvent, Pin


class PinInline(admin.StackedInline):
    model = Pin
    extra = 0
    can_delete = False
    readonly_fields = [
        "storage_config",
        "bucket",
        "region",
        "endpoint_url",
        "prefixes",
        "pinned_at",
    ]


class BotArtifactInline(admin.TabularInline):
    model = BotArtifact
    extra = 0
    can_delete = False
    fields = ["name", "bucket", "key", "size", "state", "attempts", "last_error", "uploaded_at"]
    readonly_fields = fields


class BotEventInline(admin.TabularInline):
    model = BotEvent
    extra = 0
    can_delete = False
    readonly_fields = ["event", "from_status", "to_status", "created_at"]


@admin.register(Bot)
class BotAdmin(admin.ModelAdmin):
    list_display = ["public_id", "tenant", "platform", "status", "created_at"]
    list_filter = ["status", "platform", "tenant"]
    search_fields = ["public_id", "transcript_id"]
    readonly_fields = [f.name for f in Bot._meta.fields]
    inlines = [PinInline, BotArtifactInline, BotEventInline]

    def has_add_permission(self, request):
        return False

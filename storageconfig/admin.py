from django.contrib import admin

from storageconfig.models import StorageConfig


@admin.register(StorageConfig)
class StorageConfigAdmin(admin.ModelAdmin):
    """Read-only revision history; credentials are never shown."""

    list_display = ["tenant", "revision", "is_active", "bucket_name", "region", "access_mode"]
    list_filter = ["is_active", "access_mode"]
    search_fields = ["tenant__name", "bucket_name"]
    exclude = ["access_key_id", "secret_key"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

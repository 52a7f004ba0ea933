from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers

from meetstream.tenants.models import ApiKey, Tenant
from meetstream.tenants.services import api_key_create, api_key_revoke
from storageconfig.services import external_id_rotate


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    fields = ["hint", "created_at", "revoked_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "public_id", "created_at"]
    search_fields = ["name", "public_id"]
    readonly_fields = ["public_id", "created_at", "storage_external_id"]
    inlines = [ApiKeyInline]
    actions = ["create_api_key", "rotate_external_id"]

    def has_delete_permission(self, request, obj=None):
        return False  # a tenant's bots are permanent, and they belong to it

    def has_add_api_key_permission(self, request) -> bool:
        return request.user.has_perm("meetstream.add_apikey")

    @admin.action(description="Create an API key (shown once)", permissions=["add_api_key"])
    def create_api_key(self, request, queryset):
        issued = [(tenant, api_key_create(tenant=tenant).plaintext) for tenant in queryset]
        response = TemplateResponse(
            request,
            "admin/meetstream/api_keys_created.html",
            {**self.admin_site.each_context(request), "title": "New API keys", "issued": issued},
        )
        add_never_cache_headers(response)
        return response

    @admin.action(
        description="Rotate the storage external ID (role configurations must be checked again)",
        permissions=["change"],
    )
    def rotate_external_id(self, request, queryset):
        for tenant in queryset:
            external_id_rotate(tenant=tenant)
        self.message_user(
            request,
            f"Rotated the external ID of {queryset.count()} tenant(s). Their roles' trust "
            "policies must name the new one before the next upload can assume them.",
            messages.WARNING,
        )


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are stored as hashes: staff see a hint, create keys from a tenant, revoke them here."""

    list_display = ["hint", "tenant", "created_at", "revoked_at"]
    list_filter = ["tenant"]
    search_fields = ["hint", "tenant__name"]
    readonly_fields = ["tenant", "hint", "created_at", "revoked_at"]
    fields = readonly_fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke(self, request, queryset):
        for api_key in queryset:
            api_key_revoke(api_key=api_key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)

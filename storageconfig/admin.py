from contextlib import suppress
from urllib.parse import urlsplit

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.timezone import localtime

from meetstream.admin import shortened
from meetstream.errors import flatten_errors
from meetstream.models import Tenant
from storageconfig.models import AccessMode, Encryption, StorageConfig
from storageconfig.serializers import StorageConfigInputSerializer
from storageconfig.services import (
    StorageCheckFailed,
    storage_config_check_or_raise,
    storage_config_delete,
    storage_config_revalidate,
    storage_config_save,
)


class StorageConfigAddForm(forms.ModelForm):
    """A new revision, checked live like the API does. Secrets are inputs only, never rendered."""

    tenant = forms.ModelChoiceField(queryset=Tenant.objects.all())
    bucket_name = forms.CharField(max_length=63)
    region = forms.CharField(max_length=32, initial="us-east-1")
    endpoint_url = forms.CharField(max_length=2048, required=False, help_text="Empty for AWS S3.")
    access_mode = forms.ChoiceField(choices=AccessMode.choices, initial=AccessMode.READ_WRITE)
    prefix = forms.CharField(max_length=600, initial="meetstream")
    prefixes = forms.JSONField(
        required=False,
        initial=dict,
        help_text='Per-category prefixes, e.g. {"audio": "recordings/audio"}.',
    )
    server_side_encryption = forms.ChoiceField(choices=Encryption.choices, required=False)
    kms_key_id = forms.CharField(max_length=2048, required=False, help_text="Only with aws:kms.")
    access_key_id = forms.CharField(
        widget=forms.PasswordInput(render_value=False), strip=False, required=False
    )
    secret_key = forms.CharField(
        widget=forms.PasswordInput(render_value=False), strip=False, required=False
    )
    role_arn = forms.CharField(
        max_length=2048,
        required=False,
        help_text="Instead of a key pair: the customer's role, assumed with the tenant's "
        "external ID (see the tenant's page).",
    )

    class Meta:
        model = StorageConfig
        fields: list[str] = []  # the revision is made by the service, not by this form

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        credentials = ("access_key_id", "secret_key", "role_arn")
        serializer = StorageConfigInputSerializer(
            data={
                "provider": "aws",
                **{name: cleaned[name] for name in ("bucket_name", "region", "access_mode")},
                "prefix": cleaned["prefix"],
                **{name: cleaned[name] for name in credentials if cleaned[name]},
                "prefixes": cleaned["prefixes"] or {},
                "endpoint_url": cleaned["endpoint_url"] or None,
                "server_side_encryption": cleaned["server_side_encryption"] or None,
                "kms_key_id": cleaned["kms_key_id"] or None,
            }
        )
        if not serializer.is_valid():
            for path, problems in flatten_errors(serializer.errors).items():
                field = path.split(".")[0]
                self.add_error(field if field in self.fields else None, problems)
            return cleaned
        self.storage_input = serializer.create_input()
        try:
            storage_config_check_or_raise(tenant=cleaned["tenant"], data=self.storage_input)
        except ValidationError as refused:
            self.add_error("endpoint_url", refused.messages)
        except StorageCheckFailed as failed:
            raise ValidationError(failed.message) from None
        return cleaned


@admin.register(StorageConfig)
class StorageConfigAdmin(admin.ModelAdmin):
    """Revision history per tenant. Adding makes a new revision; revisions never change."""

    # Long names are cut (whole in a tooltip) and the prefix is on the detail page: the list
    # stays within 1280 px.
    list_display = [
        "tenant_name",
        "rev",
        "active",
        "bucket",
        "endpoint",
        "access_mode",
        "configured",
        "check_passed",
    ]
    # Tenants are found by search: a filter listing every tenant would not fit.
    list_filter = ["is_active", "access_mode"]
    search_fields = ["tenant__name", "bucket_name"]
    list_select_related = ["tenant"]
    actions = ["validate_now", "erase_credentials"]
    readonly_fields = [
        "tenant",
        "revision",
        "is_active",
        "provider",
        "credentials_kind",
        "role_arn",
        "bucket_name",
        "region",
        "endpoint_url",
        "access_mode",
        "prefix",
        "prefixes",
        "server_side_encryption",
        "kms_key_id",
        "configured_at",
        "last_validated_at",
        "last_checked_at",
        "last_check_error",
        "retired_at",
        "credentials_erased_at",
    ]

    @admin.display(description="tenant", ordering="tenant__name")
    def tenant_name(self, config: StorageConfig) -> str:
        return shortened(config.tenant.name, 20, head=True)

    @admin.display(description="rev.", ordering="revision")
    def rev(self, config: StorageConfig) -> int:
        return config.revision

    @admin.display(boolean=True, description="active", ordering="is_active")
    def active(self, config: StorageConfig) -> bool:
        return config.is_active

    @admin.display(description="bucket, region", ordering="bucket_name")
    def bucket(self, config: StorageConfig) -> str:
        return format_html(
            "{}<br><small>{}</small>", shortened(config.bucket_name, 20, head=True), config.region
        )

    @admin.display(description="configured", ordering="configured_at")
    def configured(self, config: StorageConfig) -> str:
        at = localtime(config.configured_at)
        return shortened(f"{at:%Y-%m-%d}", 10, title=f"{at:%Y-%m-%d %H:%M:%S %Z}")

    @admin.display(description="endpoint")
    def endpoint(self, config: StorageConfig) -> str:
        if not config.endpoint_url:
            return "AWS"
        host = urlsplit(config.endpoint_url).netloc or config.endpoint_url
        return shortened(host, 20, title=config.endpoint_url)

    @admin.display(boolean=True, description="last check")
    def check_passed(self, config: StorageConfig) -> bool:
        return not config.last_check_error

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = StorageConfigAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return list(StorageConfigAddForm.base_fields) if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_form(self, request, form, change):
        if change:
            return form.instance
        return storage_config_save(tenant=form.cleaned_data["tenant"], data=form.storage_input)

    def save_model(self, request, obj, form, change):
        pass  # saved by save_form through the service

    def save_related(self, request, form, formsets, change):
        pass

    def change_view(self, request, object_id, form_url="", extra_context=None):
        read_only = {"show_save": False, "show_save_and_continue": False}
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), **read_only}
        )

    def has_delete_permission(self, request, obj=None):
        return False  # revisions are kept for the bots pinned to them; erase credentials instead

    @admin.action(description="Validate now (run the live check again)", permissions=["change"])
    def validate_now(self, request, queryset):
        for config in queryset:
            with suppress(ValidationError):  # recorded as the revision's last check error
                storage_config_revalidate(config=config)
            if not config.last_check_error:
                self.message_user(request, f"{config}: the live check passed.", messages.SUCCESS)
            else:
                self.message_user(request, f"{config}: {config.last_check_error}", messages.ERROR)

    @admin.action(
        description="Delete the tenant's storage configuration (erase all its credentials)",
        permissions=["change"],
    )
    def erase_credentials(self, request, queryset):
        tenants = {config.tenant for config in queryset.filter(is_active=True)}
        for tenant in tenants:
            storage_config_delete(tenant=tenant)
        self.message_user(request, f"Erased the credentials of {len(tenants)} tenant(s).")

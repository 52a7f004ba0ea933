from contextlib import suppress
from functools import cache
from urllib.parse import urlsplit

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from rest_framework import serializers
from rest_framework.fields import empty

from meetstream.shared.display import key_values, shortened
from meetstream.shared.errors import RuleError, flatten_errors
from meetstream.tenants.models import Tenant
from storageconfig.backends import PROVIDERS, backend_class, provider_get
from storageconfig.models import AccessMode, Fallback, StorageConfig
from storageconfig.rules import config_name_check
from storageconfig.selectors import storage_config_provider_fields
from storageconfig.serializers import config_input
from storageconfig.services import (
    StorageCheckFailed,
    named_config_room_check,
    storage_config_check_or_raise,
    storage_config_delete,
    storage_config_revalidate,
    storage_config_save,
)


class _SecretTextarea(forms.Textarea):
    def format_value(self, value):
        return None  # a secret is typed in, never sent back


def _form_field(name: str, field, secret: bool) -> forms.Field:
    """The admin's input for one of a provider's API fields."""
    common = {"required": field.required, "help_text": field.help_text or ""}
    if field.initial not in (None, empty, ""):
        common["initial"] = field.initial
    if isinstance(field, serializers.ChoiceField):
        choices = [("", "—")] * (not field.required) + [(c, c) for c in field.choices]
        return forms.ChoiceField(choices=choices, **common)
    if not isinstance(field, serializers.CharField):
        widget = _SecretTextarea if secret else forms.Textarea
        return forms.CharField(widget=widget, strip=False, **common)
    widget = forms.PasswordInput(render_value=False) if secret else None
    return forms.CharField(max_length=field.max_length, widget=widget, strip=not secret, **common)


class StorageConfigAddForm(forms.ModelForm):
    """A new revision, checked live like the API does. Secrets are inputs only, never rendered.
    Each provider's form is made from its API fields (`provider_form`)."""

    provider = "aws"
    tenant = forms.ModelChoiceField(queryset=Tenant.objects.all())
    name = forms.CharField(
        max_length=64,
        required=False,
        help_text="Empty: the tenant's default configuration. A name (a-z, 0-9, _ and -): a "
        "named one, which bots choose with create_bot's storage.config.",
    )
    access_mode = forms.ChoiceField(choices=AccessMode.choices, initial=AccessMode.READ_WRITE)
    prefix = forms.CharField(max_length=600, initial="meetstream")
    prefixes = forms.JSONField(
        required=False,
        initial=dict,
        help_text='Per-category prefixes, e.g. {"audio": "recordings/audio"}.',
    )
    key_template = forms.CharField(
        max_length=512,
        required=False,
        strip=False,
        help_text="Empty: the guide's {prefix}/{bot_id}_{file}. Variables: {prefix}, {bot_id}, "
        "{file}, {platform}, {yyyy}, {mm}, {dd}; {bot_id} and {file} are required.",
    )
    fallback = forms.ChoiceField(
        choices=Fallback.choices,
        initial=Fallback.NONE,
        required=False,
        help_text="Where a file goes when it gives up at this bucket.",
    )
    notify_url = forms.URLField(
        required=False,
        assume_scheme="https",
        help_text="Told when the periodic check of this bucket starts failing, and when it "
        "passes again.",
    )

    class Meta:
        model = StorageConfig
        fields: list[str] = []  # the revision is made by the service, not by this form

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        given = {name: value for name, value in cleaned.items() if value not in ("", None)}
        body = {**given, "provider": self.provider, "prefixes": cleaned["prefixes"] or {}}
        del body["tenant"]
        self.config_name = body.pop("name", "")
        try:
            if self.config_name:
                config_name_check(self.config_name)
            named_config_room_check(tenant=cleaned["tenant"], name=self.config_name)
        except RuleError as refused:
            self.add_error("name", str(refused))
            return cleaned
        except ValidationError as refused:
            self.add_error("name", refused.message_dict["name"])
            return cleaned
        try:
            self.storage_input = config_input(body)
        except serializers.ValidationError as invalid:
            for path, problems in flatten_errors(invalid.detail).items():
                field = path.split(".")[0]
                self.add_error(field if field in self.fields else None, problems)
            return cleaned
        try:
            storage_config_check_or_raise(tenant=cleaned["tenant"], data=self.storage_input)
        except ValidationError as refused:
            self.add_error("endpoint_url", refused.messages)
        except StorageCheckFailed as failed:
            raise ValidationError(failed.message) from None
        return cleaned


@cache
def provider_form(provider: str) -> type[StorageConfigAddForm]:
    backend = backend_class(provider)
    fields = {
        name: _form_field(name, field, name in backend.secret_fields)
        for name, field in provider_get(provider).fields_class().fields.items()
    }
    return type(
        f"{backend.__name__}AddForm", (StorageConfigAddForm,), {"provider": provider, **fields}
    )


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
        "last_check",
    ]
    # Tenants are found by search: a filter listing every tenant would not fit.
    list_filter = ["is_active", "provider", "access_mode"]
    search_fields = ["tenant__name", "name", "options__bucket_name", "options__container"]
    list_select_related = ["tenant"]
    actions = ["validate_now", "erase_credentials"]
    readonly_fields = [
        "tenant",
        "name",
        "revision",
        "is_active",
        "provider",
        "settings",
        "access_mode",
        "prefix",
        "prefixes_shown",
        "key_template",
        "fallback",
        "notify_url",
        "configured_at",
        "last_validated_at",
        "last_checked_at",
        "last_check_reason",
        "last_check_error",
        "retired_at",
        "credentials_erased_at",
    ]

    @admin.display(description="tenant", ordering="tenant__name")
    def tenant_name(self, config: StorageConfig) -> str:
        return format_html(
            "{}<br><small>{}</small>",
            shortened(config.tenant.name, 20, head=True),
            shortened(config.name, 20, head=True) if config.name else "default",
        )

    @admin.display(description="rev.", ordering="revision")
    def rev(self, config: StorageConfig) -> int:
        return config.revision

    @admin.display(boolean=True, description="active", ordering="is_active")
    def active(self, config: StorageConfig) -> bool:
        return config.is_active

    @admin.display(description="bucket, where", ordering="provider")
    def bucket(self, config: StorageConfig) -> str:
        location = config.location
        where = location.get("region") or location.get("account_name") or config.provider
        return format_html(
            "{}<br><small>{}</small>", shortened(location["bucket"], 24, head=True), where
        )

    @admin.display(description="prefixes")
    def prefixes_shown(self, config: StorageConfig) -> str:
        return key_values(config.prefixes, empty="— (every category under the prefix)")

    @admin.display(description="provider's settings")
    def settings(self, config: StorageConfig) -> str:
        """What the API shows of the configuration: never a secret."""
        return key_values(storage_config_provider_fields(config, config.tenant))

    @admin.display(description="configured", ordering="configured_at")
    def configured(self, config: StorageConfig) -> str:
        at = localtime(config.configured_at)
        return shortened(f"{at:%Y-%m-%d}", 10, title=f"{at:%Y-%m-%d %H:%M:%S %Z}")

    @admin.display(description="endpoint")
    def endpoint(self, config: StorageConfig) -> str:
        endpoint_url = config.options.get("endpoint_url")
        if not endpoint_url:
            return config.backend_class.label
        host = urlsplit(endpoint_url).netloc or endpoint_url
        return shortened(host, 20, title=endpoint_url)

    @admin.display(description="last check", ordering="last_checked_at")
    def last_check(self, config: StorageConfig) -> str:
        """When the live check last ran (on save, by staff, or the periodic one), and why it
        failed if it did."""
        if config.last_checked_at is None:
            return "—"
        at = localtime(config.last_checked_at)
        return format_html(
            "{}<br><small>{}</small>",
            shortened(config.last_check, 12, head=True, title=config.last_check_error or "ok"),
            shortened(f"{at:%m-%d %H:%M}", 11, title=f"{at:%Y-%m-%d %H:%M:%S %Z}"),
        )

    def _add_form(self, request) -> type[StorageConfigAddForm]:
        provider = request.GET.get("provider")
        return provider_form(provider if provider in PROVIDERS else "aws")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self._add_form(request)
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return list(self._add_form(request).base_fields) if obj is None else self.readonly_fields

    def add_view(self, request, form_url="", extra_context=None):
        chosen = self._add_form(request).provider
        links = format_html_join(
            " · ",
            '<a href="?provider={}">{}</a>',
            ((name, backend_class(name).label) for name in PROVIDERS if name != chosen),
        )
        subtitle = format_html("{} (or: {})", backend_class(chosen).label, links)
        return super().add_view(request, form_url, {**(extra_context or {}), "subtitle": subtitle})

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_form(self, request, form, change):
        if change:
            return form.instance
        return storage_config_save(
            tenant=form.cleaned_data["tenant"], data=form.storage_input, name=form.config_name
        )

    def save_model(self, request, obj, form, change):
        pass  # saved by save_form through the service

    def save_related(self, request, form, formsets, change):
        pass

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # A revision never changes: it is viewed, with no Save of any kind.
        read_only = {
            "title": "View storage configuration revision",
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
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
        description="Delete the storage configuration (erase the credentials of all its revisions)",
        permissions=["change"],
    )
    def erase_credentials(self, request, queryset):
        chosen = {(config.tenant, config.name) for config in queryset.filter(is_active=True)}
        for tenant, name in chosen:
            storage_config_delete(tenant=tenant, name=name)
        self.message_user(request, f"Erased the credentials of {len(chosen)} configuration(s).")

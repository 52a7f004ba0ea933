"""What GET /storage/policy answers: the least permissions a configuration needs (the active
one, or an S3 one described in the query), a role's trust and permission policies, or S3's
lifecycle rule. The view parses the query; the rules of which document fits which provider
are here."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from meetstream.shared.errors import NotFound, Unavailable
from meetstream.tenants.models import Tenant
from storageconfig.backends import PLATFORM_PROVIDER, backend_class
from storageconfig.failures import StorageError
from storageconfig.rules import key_folders
from storageconfig.selectors import storage_config_get_active

FLAGS = {
    "access_mode": (None, "read_write", "write_only"),
    "allow_delete": ("false", "true", "0", "1"),
    "document": ("permissions", "lifecycle"),
    "credentials": ("keys", "role"),
}
FLAG_PROBLEMS = {
    "access_mode": "Use 'read_write' or 'write_only'.",
    "allow_delete": "Use 'true' or 'false' (or 1 or 0).",
    "document": "Use 'permissions' or 'lifecycle'.",
    "credentials": "Use 'keys' or 'role'.",
}


@dataclass(frozen=True)
class PolicyAsk:
    """The query's choices: which document, for which mode, with deletes or not."""

    access_mode: str | None
    allow_delete: bool
    document: str
    credentials: str


def policy_ask(query) -> PolicyAsk:
    """The query's flags, each one of its values, or a 400 naming the first that is not."""
    for name, allowed in FLAGS.items():
        if query.get(name, allowed[0]) not in allowed:
            raise ValidationError({name: [FLAG_PROBLEMS[name]]})
    return PolicyAsk(
        access_mode=query.get("access_mode"),
        allow_delete=query.get("allow_delete") in {"true", "1"},
        document=query.get("document", "permissions"),
        credentials=query.get("credentials", "keys"),
    )


def policy_document(
    *, tenant: Tenant, ask: PolicyAsk, described: dict | None, name: str = ""
) -> dict:
    """The document asked for, of the configuration `described` (validated location fields
    with `prefix`, `prefixes`, `key_template` and `access_mode`) or else of the tenant's active
    default one, or of its active one named `name`. Resources are scoped to the folders its
    keys go to."""
    if described is not None:
        options = dict(described)
        template, prefix = options.pop("key_template", ""), options.pop("prefix")
        prefixes = key_folders(template, prefix, options.pop("prefixes", {}))
        backend, access_mode = backend_class(PLATFORM_PROVIDER), options.pop("access_mode")
    else:
        config = storage_config_get_active(tenant=tenant, name=name)
        if config is None:
            named = f" named '{name}'" if name else ""
            raise NotFound(f"No storage configuration{named} is active: describe one in the query.")
        backend, options = config.backend_class, config.options
        prefixes, access_mode = config.key_folders, config.access_mode
    if ask.document == "lifecycle":
        if (rules := backend.lifecycle_document(prefixes)) is None:
            raise ValidationError(
                {"document": ["Only an aws bucket keeps unfinished uploads' parts."]}
            )
        return rules
    permissions = backend.policy(
        options=options,
        prefixes=prefixes,
        access_mode=ask.access_mode or access_mode,
        allow_delete=ask.allow_delete,
    )
    if ask.credentials == "keys":
        return permissions
    try:
        documents = backend.role_documents(tenant=tenant, permissions=permissions)
    except StorageError as failure:
        raise Unavailable(failure.message, reason=failure.reason) from None
    if documents is None:
        raise ValidationError({"credentials": ["Only an aws configuration assumes a role."]})
    return documents

import pytest
from django.core.management import call_command
from django.db import connection

from storageconfig.models import StorageConfig

PUT = "/api/v1/admin/configs?config_type=storage"
CREDENTIAL_FIELDS = ("secrets_json",)


@pytest.fixture
def fernet_keys(settings):
    """Switch FERNET_KEYS; the fields cache their Fernet per field instance, so reset it."""

    def forget() -> None:
        for name in CREDENTIAL_FIELDS:
            field = StorageConfig._meta.get_field(name)
            for cached in ("keys", "fernet_keys", "fernet"):
                field.__dict__.pop(cached, None)

    def use(*keys: str) -> None:
        settings.FERNET_KEYS = list(keys)
        forget()

    yield use
    forget()  # the next read sees the restored settings


def raw_secret(pk: int) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute("SELECT secrets_json FROM storageconfig_storageconfig WHERE id = %s", [pk])
        return bytes(cursor.fetchone()[0])


def test_rotation_prepends_a_key_then_reencrypts_so_the_old_key_can_go(
    api, tenant, config_body, fernet_keys
):
    fernet_keys("old-key")
    body = config_body()
    api.put(PUT, body, format="json")
    config = StorageConfig.objects.get(tenant=tenant)
    before = raw_secret(config.pk)

    fernet_keys("new-key", "old-key")
    assert StorageConfig.objects.get(pk=config.pk).secrets["secret_key"] == body["secret_key"]
    call_command("reencrypt_credentials")
    assert raw_secret(config.pk) != before

    fernet_keys("new-key")
    reread = StorageConfig.objects.get(pk=config.pk)
    assert reread.secrets == {
        "access_key_id": body["access_key_id"],
        "secret_key": body["secret_key"],
    }


def test_without_the_key_that_encrypted_them_credentials_do_not_decrypt(
    api, tenant, config_body, fernet_keys
):
    fernet_keys("old-key")
    api.put(PUT, config_body(), format="json")

    fernet_keys("unrelated-key")

    from cryptography.fernet import InvalidToken

    with pytest.raises(InvalidToken):
        StorageConfig.objects.get(tenant=tenant)

import pytest
from django.utils import timezone

from storageconfig.models import StorageConfig

CONFIGS = "/admin/storageconfig/storageconfig/"


def form(tenant, bucket, server, **overrides) -> dict:
    return {
        "tenant": tenant.pk,
        "bucket_name": bucket,
        "region": "us-east-1",
        "endpoint_url": server.url,
        "access_mode": "read_write",
        "prefix": "meetstream",
        "prefixes": "{}",
        "access_key_id": "AKIAADMINFORMKEY0000",
        "secret_key": "admin/form+secret-value-0123456789",
        **overrides,
    }


@pytest.fixture
def editor(staff_client):
    return staff_client("view_storageconfig", "add_storageconfig", "change_storageconfig")


@pytest.mark.slow
def test_adding_a_configuration_runs_the_live_check_and_saves_a_revision(
    editor, tenant, bucket, s3_server
):
    data = form(tenant, bucket, s3_server, prefixes='{"audio": "/rec//audio/"}')

    response = editor.post(f"{CONFIGS}add/", data)

    assert response.status_code == 302, response.content.decode()[:3000]
    config = StorageConfig.objects.get(tenant=tenant, is_active=True)
    assert (config.revision, config.prefixes, config.secrets["secret_key"]) == (
        1,
        {"audio": "rec/audio"},
        data["secret_key"],
    )
    for path in (CONFIGS, f"{CONFIGS}{config.pk}/change/", f"{CONFIGS}{config.pk}/history/"):
        page = editor.get(path).content.decode()
        assert data["secret_key"] not in page and data["access_key_id"] not in page, path


def test_a_failing_check_shows_its_error_in_the_form_and_saves_nothing(editor, tenant, s3_server):
    data = form(tenant, "no-such-bucket-here", s3_server)

    response = editor.post(f"{CONFIGS}add/", data)

    page = response.content.decode()
    assert response.status_code == 200
    assert "HeadBucket: The bucket &#x27;no-such-bucket-here&#x27; does not exist." in page
    assert data["secret_key"] not in page and data["access_key_id"] not in page
    assert not StorageConfig.objects.exists()


@pytest.mark.slow
def test_invalid_fields_are_reported_on_their_fields(editor, tenant, bucket, s3_server):
    response = editor.post(
        f"{CONFIGS}add/", form(tenant, bucket, s3_server, prefix="a/../b", prefixes='{"x": "y"}')
    )

    errors = response.context["adminform"].form.errors
    assert set(errors) == {"prefix", "prefixes"}
    assert not StorageConfig.objects.exists()


@pytest.mark.slow
def test_validate_now_records_when_the_check_passed_or_why_it_failed(
    editor, tenant, bucket, s3_server
):
    editor.post(f"{CONFIGS}add/", form(tenant, bucket, s3_server))
    config = StorageConfig.objects.get()
    first = config.last_validated_at

    editor.post(CONFIGS, {"action": "validate_now", "_selected_action": [config.pk]})
    config.refresh_from_db()
    assert config.last_validated_at > first and config.last_check_error == ""

    s3_server.client().delete_bucket(Bucket=bucket)
    response = editor.post(
        CONFIGS, {"action": "validate_now", "_selected_action": [config.pk]}, follow=True
    )
    config.refresh_from_db()
    assert config.last_check_error.endswith(f"The bucket '{bucket}' does not exist.")
    assert config.last_checked_at > config.last_validated_at
    assert "does not exist" in response.content.decode()
    listed = editor.get(CONFIGS).content.decode()
    assert "no_such_buck…" in listed  # the last check's reason, and when it ran
    assert f"{timezone.localtime(config.last_checked_at):%m-%d %H:%M}" in listed


@pytest.mark.slow
def test_staff_choose_the_fallback_and_the_notify_url_and_see_them(
    editor, tenant, bucket, s3_server
):
    response = editor.post(
        f"{CONFIGS}add/",
        form(
            tenant,
            bucket,
            s3_server,
            fallback="platform",
            notify_url="http://127.0.0.1:9/storage-hooks",
        ),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    config = StorageConfig.objects.get()
    assert (config.fallback, config.notify_url) == ("platform", "http://127.0.0.1:9/storage-hooks")
    page = editor.get(f"{CONFIGS}{config.pk}/change/").content.decode()
    assert "http://127.0.0.1:9/storage-hooks" in page


@pytest.mark.slow
def test_revisions_cannot_be_edited_or_deleted_only_erased(editor, tenant, bucket, s3_server):
    editor.post(f"{CONFIGS}add/", form(tenant, bucket, s3_server))
    config = StorageConfig.objects.get()

    page = editor.get(f"{CONFIGS}{config.pk}/change/").content.decode()
    editor.post(CONFIGS, {"action": "erase_credentials", "_selected_action": [config.pk]})

    assert 'name="_save"' not in page and "/delete/" not in page
    config.refresh_from_db()
    assert not config.has_credentials and not config.is_active


@pytest.mark.slow
def test_a_viewer_sees_revisions_but_cannot_add_or_act(
    staff_client, editor, tenant, bucket, s3_server
):
    editor.post(f"{CONFIGS}add/", form(tenant, bucket, s3_server))
    viewer = staff_client("view_storageconfig")

    assert viewer.get(CONFIGS).status_code == 200
    assert viewer.get(f"{CONFIGS}add/").status_code == 403
    viewer.post(
        CONFIGS,
        {"action": "erase_credentials", "_selected_action": [StorageConfig.objects.get().pk]},
    )
    assert StorageConfig.objects.get().has_credentials


@pytest.mark.slow
def test_encryption_can_be_chosen_in_the_admin_and_is_checked_like_the_api(
    editor, tenant, bucket, s3_server
):
    refused = editor.post(
        f"{CONFIGS}add/", form(tenant, bucket, s3_server, kms_key_id="key-without-kms")
    )
    assert set(refused.context["adminform"].form.errors) == {"kms_key_id"}

    editor.post(
        f"{CONFIGS}add/",
        form(tenant, bucket, s3_server, server_side_encryption="aws:kms", kms_key_id="alias/k-1"),
    )

    config = StorageConfig.objects.get()
    assert (config.options["server_side_encryption"], config.options["kms_key_id"]) == (
        "aws:kms",
        "alias/k-1",
    )


@pytest.mark.slow
def test_staff_can_add_a_role_configuration_which_is_assumed_before_it_is_saved(
    editor, tenant, bucket, s3_server, role_arn
):
    role = role_arn
    data = form(tenant, bucket, s3_server, access_key_id="", secret_key="", role_arn=role)

    response = editor.post(f"{CONFIGS}add/", data)

    assert response.status_code == 302, response.content.decode()[:3000]
    config = StorageConfig.objects.get(tenant=tenant, is_active=True)
    assert config.options["role_arn"] == role and config.secrets == {}
    page = editor.get(f"{CONFIGS}{config.pk}/change/").content.decode()
    assert role in page and "role" in page


@pytest.mark.slow
def test_the_admin_form_asks_for_keys_or_a_role_not_both(editor, tenant, bucket, s3_server):
    both = form(tenant, bucket, s3_server, role_arn="arn:aws:iam::123456789012:role/x")
    neither = form(tenant, bucket, s3_server, access_key_id="", secret_key="")

    for data, says in ((both, "not both"), (neither, "or a role_arn")):
        page = editor.post(f"{CONFIGS}add/", data).content.decode()
        assert says in page
    assert not StorageConfig.objects.exists()


@pytest.mark.slow
def test_staff_add_named_configurations_beside_the_default_and_see_which_is_which(
    editor, tenant, s3_server
):
    default_bucket, eu_bucket = s3_server.bucket(), s3_server.bucket()
    editor.post(f"{CONFIGS}add/", form(tenant, default_bucket, s3_server))

    added = editor.post(
        f"{CONFIGS}add/",
        form(tenant, eu_bucket, s3_server, name="eu-data", key_template="{prefix}/{bot_id}/{file}"),
    )
    refused = editor.post(f"{CONFIGS}add/", form(tenant, eu_bucket, s3_server, name="EU data"))
    wrong_template = editor.post(
        f"{CONFIGS}add/", form(tenant, eu_bucket, s3_server, name="x", key_template="{file}")
    )

    assert added.status_code == 302, added.content.decode()[:2000]
    default, named = StorageConfig.objects.filter(is_active=True).order_by("name")
    assert (default.name, default.location["bucket"]) == ("", default_bucket)
    assert (named.name, named.revision, named.key_template) == (
        "eu-data",
        1,
        "{prefix}/{bot_id}/{file}",
    )
    assert "a-z, 0-9" in refused.content.decode()
    assert "{bot_id} and {file}" in wrong_template.content.decode()
    assert StorageConfig.objects.count() == 2
    listing = editor.get(CONFIGS).content.decode()
    assert "eu-data" in listing and "default" in listing
    page = editor.get(f"{CONFIGS}{named.pk}/change/").content.decode()
    assert "eu-data" in page and "{prefix}/{bot_id}/{file}" in page

    editor.post(CONFIGS, {"action": "erase_credentials", "_selected_action": [named.pk]})

    named.refresh_from_db()
    default.refresh_from_db()
    assert not named.has_credentials and not named.is_active
    assert default.has_credentials and default.is_active

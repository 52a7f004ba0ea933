"""Staff save a storage configuration in a real headless Chromium; the secret never shows."""

import os
import shutil

import pytest
from django.db import connections
from django.utils import timezone

from storageconfig.models import StorageConfig

CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
    ),
]
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def admin_at_1280(playwright, live_server, admin_user):
    """Chromium on a 1280 x 800 screen, logged in to the admin."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", admin_user.username)
    page.fill("#id_password", "password")
    page.click("input[type=submit]")
    page.wait_for_load_state()
    return browser, page


def test_staff_save_a_configuration_and_never_see_the_secret_again(
    live_server, admin_user, tenant, iam_s3_server, monkeypatch
):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; our ORM reads here are sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    bucket = iam_s3_server.bucket()
    statements = [
        {
            "Effect": "Allow",
            "Action": ["s3:HeadBucket", "s3:ListBucket"],
            "Resource": f"arn:aws:s3:::{bucket}",
        },
        {
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:GetObject"],
            "Resource": f"arn:aws:s3:::{bucket}/*",
        },
    ]
    key_id, secret = iam_s3_server.user(statements)
    wrong = "not-the-secret-but-long-enough-to-watch"
    seen: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()

        def visit(path: str) -> None:
            page.goto(f"{live_server.url}{path}")
            seen.append(page.content())

        def submit_config(secret_key: str) -> None:
            visit("/admin/storageconfig/storageconfig/add/")
            page.select_option("#id_tenant", str(tenant.pk))
            page.fill("#id_bucket_name", bucket)
            page.fill("#id_endpoint_url", iam_s3_server.url)
            page.fill("#id_access_key_id", key_id)
            page.fill("#id_secret_key", secret_key)
            page.click("input[name=_save]")
            page.wait_for_load_state()
            seen.append(page.content())

        visit("/admin/login/")
        page.fill("#id_username", admin_user.username)
        page.fill("#id_password", "password")
        page.click("input[type=submit]")
        page.wait_for_load_state()

        submit_config(wrong)
        error = page.locator(".errornote, .errorlist").all_inner_texts()
        assert any("The secret key does not match the access key id." in text for text in error), (
            error
        )
        assert (
            page.input_value("#id_secret_key") == "" and page.input_value("#id_access_key_id") == ""
        )
        assert not StorageConfig.objects.exists()

        submit_config(secret)
        assert "was added successfully" in page.locator(".messagelist").inner_text()
        config = StorageConfig.objects.get(tenant=tenant, is_active=True)
        for path in (
            "/admin/storageconfig/storageconfig/",
            f"/admin/storageconfig/storageconfig/{config.pk}/change/",
            f"/admin/storageconfig/storageconfig/{config.pk}/history/",
            f"/admin/meetstream/tenant/{tenant.pk}/change/",
            "/admin/",
        ):
            visit(path)
        browser.close()
        # The queries above ran inside Playwright's event loop, where Django keeps connections
        # apart from the test's own: closed here, or the test database could not be dropped.
        connections.close_all()

    assert config.secrets == {"access_key_id": key_id, "secret_key": secret}
    assert len(seen) >= 8
    for html in seen:
        assert secret not in html and wrong not in html and key_id not in html


def test_a_bot_page_fits_1280_pixels_and_offers_no_save_and_no_delete(
    live_server, admin_user, tenant, monkeypatch
):
    from playwright.sync_api import sync_playwright

    from bots.models import Bot, BotArtifact

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    bot = Bot.objects.create(
        tenant=tenant,
        bot_name="Notetaker",
        meeting_link="https://meet.google.com/abc-defg-hij",
        platform="google_meet",
        status="Stopped",
    )
    name = f"transcription/meetstream/{bot.transcript_id}/processed_transcript.json"
    key = "/".join(["a-customer-prefix-that-goes-on"] * 6) + f"/{bot.public_id}_{name}"
    BotArtifact.objects.create(
        bot=bot,
        name=name,
        category="transcript",
        content_type="application/json",
        size=12,
        sha256="0" * 64,
        bucket="b" * 63,
        key=key,
        state="gave_up",
        attempts=10,
        last_error=f"Access denied: the credentials may not s3:PutObject on s3://{'b' * 63}/{key}.",
    )

    with sync_playwright() as playwright:
        browser, page = admin_at_1280(playwright, live_server, admin_user)

        page.goto(f"{live_server.url}/admin/bots/bot/{bot.pk}/change/")
        width = page.evaluate("document.documentElement.scrollWidth")
        buttons = page.locator("input[type=submit], a.deletelink, a.deletelink-box").count()
        full_key = page.locator(f'span[title="{key}"]').count()
        page.goto(f"{live_server.url}/admin/bots/bot/")
        actions = page.locator("select[name=action] option").all_inner_texts()
        browser.close()

    assert width <= 1280, f"the bot page is {width} px wide"
    assert buttons == 0  # no Save, no Delete
    assert full_key == 1  # the key is shortened, the whole of it in a title
    # Django's bulk delete is not offered; deleting media (with a confirmation) is.
    assert not any("Delete selected" in action for action in actions), actions
    assert "Delete the media of the selected bots…" in actions, actions
    assert any("Retry given-up uploads" in action for action in actions), actions


def test_the_storage_config_list_fits_1280_pixels(live_server, admin_user, tenant, monkeypatch):
    from playwright.sync_api import sync_playwright

    from meetstream.tenants.services import tenant_get_or_create

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    long_tenant = tenant_get_or_create(name="a-tenant-with-a-rather-long-name-" + "x" * 30)
    for owner, revision in ((tenant, 1), (long_tenant, 7)):
        StorageConfig.objects.create(
            tenant=owner,
            revision=revision,
            is_active=True,
            provider="aws",
            options={
                "bucket_name": "b" * 63,
                "region": "ap-southeast-2",
                "endpoint_url": "https://" + "s3-compatible-storage." * 3 + "example.com:9000",
            },
            access_mode="write_only",
            prefix="/".join(["a-customer-prefix-that-goes-on"] * 4),
            secrets_json='{"access_key_id": "AKIAEXAMPLEKEY123456", "secret_key": "never"}',
            configured_at=timezone.now(),
            last_check_error="Access denied: the credentials may not s3:PutObject on " + "k" * 80,
        )

    with sync_playwright() as playwright:
        browser, page = admin_at_1280(playwright, live_server, admin_user)
        page.goto(f"{live_server.url}/admin/storageconfig/storageconfig/")
        width = page.evaluate("document.documentElement.scrollWidth")
        # The admin scrolls a wide table inside its own box: that box must not scroll either.
        hidden = page.evaluate(
            "(box => box.scrollWidth - box.clientWidth)(document.querySelector('.results'))"
        )
        rows = page.locator("#result_list tbody tr").count()
        full_bucket = page.locator(f'span[title="{"b" * 63}"]').count()
        browser.close()

    assert rows == 2
    assert width <= 1280, f"the storage configuration page is {width} px wide"
    assert hidden == 0, f"{hidden} px of the list are scrolled out of sight"
    assert full_bucket == 2  # shortened, the whole name in a title


def shoot(page, name: str) -> None:
    """SCREENSHOTS=<folder> keeps each page as staff see it, to look at."""
    if folder := os.environ.get("SCREENSHOTS"):
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def test_the_pages_staff_meet_say_where_media_went_in_words_people_read(
    live_server, admin_user, tenant, monkeypatch
):
    from playwright.sync_api import sync_playwright

    from bots.models import Bot, BotArtifact, Pin

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    config = StorageConfig.objects.create(
        tenant=tenant,
        revision=1,
        is_active=True,
        provider="aws",
        options={"bucket_name": "customer-sample-bucket", "region": "us-east-1"},
        access_mode="read_write",
        prefix="meetstream",
        prefixes={"audio": "recordings/audio"},
        secrets_json='{"access_key_id": "AKIAEXAMPLEKEY123456", "secret_key": "never"}',
        configured_at=timezone.now(),
    )
    bots = {}
    for where, pinned_to in (("customer", config), ("platform", None), ("joining", ...)):
        bot = Bot.objects.create(
            tenant=tenant,
            bot_name=f"Notes {where}",
            meeting_link="https://meet.google.com/abc-defg-hij",
            platform="google_meet",
            status="Done" if pinned_to is not ... else "Joining",
        )
        bots[where] = bot
        if pinned_to is ...:
            continue
        bucket = "customer-sample-bucket" if pinned_to else "meetstream-platform"
        Pin.objects.create(
            bot=bot,
            storage_config=pinned_to,
            provider="aws",
            location={"bucket": bucket, "region": "us-east-1", "endpoint_url": None},
            prefixes={"audio": "recordings/audio", "video": "meetstream"},
        )
        for name, size in (("audio.wav", 5_300_000), ("chats.json", 812)):
            BotArtifact.objects.create(
                bot=bot,
                name=name,
                category="audio",
                content_type="audio/wav",
                size=size,
                sha256="0" * 64,
                bucket=bucket,
                key=f"meetstream/{bot.public_id}_{name}",
                state="uploaded",
                attempts=1,
            )

    with sync_playwright() as playwright:
        browser, page = admin_at_1280(playwright, live_server, admin_user)

        page.goto(f"{live_server.url}/admin/bots/bot/")
        shoot(page, "bots-list")
        headers = [h.strip().lower() for h in page.locator("#result_list th").all_inner_texts()]
        rows = {
            where: page.locator("#result_list tbody tr", has_text=bot.public_id).inner_text()
            for where, bot in bots.items()
        }
        crumbs = page.locator(".breadcrumbs").inner_text()
        list_width = page.evaluate("document.documentElement.scrollWidth")
        list_hidden = page.evaluate(
            "(box => box.scrollWidth - box.clientWidth)(document.querySelector('.results'))"
        )
        site_link = page.locator("#user-tools a").first.get_attribute("href")

        page.goto(f"{live_server.url}/admin/bots/bot/{bots['customer'].pk}/change/")
        shoot(page, "bot")
        bot_width = page.evaluate("document.documentElement.scrollWidth")
        sizes = page.locator("td.field-size_shown").all_inner_texts()
        sizes = [size.replace("\xa0", " ") for size in sizes]  # filesizeformat's nbsp
        pin = page.locator(".inline-group").first.inner_text()
        grey_labels = [label for label in page.locator("td.original p").all() if label.is_visible()]

        page.goto(f"{live_server.url}/admin/storageconfig/storageconfig/{config.pk}/change/")
        shoot(page, "revision")
        title = page.locator("#content h1").inner_text()
        buttons = page.locator(".submit-row input[type=submit]").count()
        revision = page.locator("#content").inner_text()

        page.goto(f"{live_server.url}/admin/storageconfig/storageconfig/")
        shoot(page, "storage-configs")
        bucket_cell = page.locator("td.field-bucket").first.inner_text()

        page.goto(f"{live_server.url}/")
        landed = page.url
        browser.close()
        connections.close_all()

    assert "media" in headers and "stored in" in headers, headers
    assert "aws · customer-sample-bucket" in rows["customer"]
    assert "platform bucket" in rows["platform"]
    assert "not yet" in rows["joining"]
    assert crumbs.split()[:3] == ["Home", "\u203a", "Meeting"], crumbs  # not "Bots > Bots"
    assert (list_width, list_hidden) == (1280, 0), "the bots list fits 1280 px, every column"
    assert site_link == "/api/docs/"
    assert bot_width <= 1280
    assert sizes == ["5.1 MB", "812 bytes"], sizes
    assert "{" not in pin and "recordings/audio" in pin, pin
    assert grey_labels == []  # each file row is labelled once, by its own columns
    assert not title.startswith("Change"), title
    assert buttons == 0  # a revision never changes: no Save, no "Save and add another"
    assert '{"audio"' not in revision and "recordings/audio" in revision
    assert bucket_cell.splitlines()[0] == "customer-sample-bucket"
    assert landed == f"{live_server.url}/api/docs/"

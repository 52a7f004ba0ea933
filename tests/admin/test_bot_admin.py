import pytest

from bots.models import Bot, BotArtifact, WebhookEvent
from tests.support.api import PUT
from tests.support.media import create_bot, hand_over
from tests.support.workers import PLATFORM_BUCKET

BOTS = "/admin/bots/bot/"


@pytest.fixture(autouse=True)
def _committed(transactional_db):
    """Uploads are queued on commit."""


@pytest.fixture
def receiver_url(receiver) -> str:
    return receiver.url


@pytest.mark.slow
def test_a_bot_page_shows_its_pin_and_where_each_file_went(
    staff_client, api, recorder, config_body, bucket
):
    api.put(PUT, config_body(), format="json")
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})
    client = staff_client("view_bot")
    artifact = BotArtifact.objects.get(name="chats.json")

    page = client.get(f"{BOTS}{artifact.bot_id}/change/").content.decode()

    assert bucket in page and artifact.key in page and "uploaded" in page
    assert config_body()["secret_key"] not in page and config_body()["access_key_id"] not in page


@pytest.mark.slow
def test_retry_given_up_uploads_uploads_them_to_the_pinned_location(
    staff_client, api, recorder, config_body, s3_server, bucket
):
    api.put(PUT, config_body(), format="json")
    bot = create_bot(api)
    s3_server.client().delete_bucket(Bucket=bucket)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})
    assert BotArtifact.objects.get().state == "gave_up"
    client = staff_client("view_bot", "change_bot")

    failed = client.get(BOTS, {"media": "gave_up"}).content.decode()
    s3_server.client().create_bucket(Bucket=bucket)
    client.post(
        BOTS,
        {
            "action": "retry_given_up_uploads",
            "_selected_action": [BotArtifact.objects.get().bot_id],
        },
    )

    assert bot["bot_id"] in failed
    assert BotArtifact.objects.get(name="chats.json").state == "uploaded"
    assert f"meetstream/{bot['bot_id']}_chats.json" in s3_server.keys(bucket)


@pytest.mark.slow
def test_bots_and_their_events_can_be_neither_changed_nor_deleted(
    admin_client, api, recorder, receiver_url
):
    bot = create_bot(api, callback_url=receiver_url)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})
    pk = BotArtifact.objects.get(name="chats.json").bot_id
    event = WebhookEvent.objects.first()
    tenant = Bot.objects.get().tenant_id

    page = admin_client.get(f"{BOTS}{pk}/change/").content.decode()
    listing = admin_client.get(BOTS).content.decode()

    assert 'name="_save"' not in page and "deletelink" not in page
    assert "delete_selected" not in listing and "retry_given_up_uploads" in listing
    for path in (
        f"{BOTS}{pk}/delete/",
        f"/admin/bots/webhookevent/{event.pk}/delete/",
        f"/admin/meetstream/tenant/{tenant}/delete/",
    ):
        assert admin_client.post(path, {"post": "yes"}).status_code == 403, path
    assert admin_client.post(f"{BOTS}{pk}/change/", {"bot_name": "x"}).status_code == 403
    assert Bot.objects.get().bot_name == "Notetaker"
    assert BotArtifact.objects.count() == 2 and WebhookEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.slow
def test_staff_send_a_given_up_webhook_event_again(admin_client, api, receiver):
    bot = create_bot(api, callback_url=receiver.url)
    event = WebhookEvent.objects.get()
    WebhookEvent.objects.update(state="failed", attempts=8)
    receiver.received.clear()

    admin_client.post(
        "/admin/bots/webhookevent/", {"action": "resend", "_selected_action": [event.pk]}
    )

    event.refresh_from_db()
    assert (event.state, event.attempts) == ("delivered", 1)
    assert receiver.events() == ["bot.joining"]
    assert bot["bot_id"] in receiver.received[0]["body"].decode()


@pytest.mark.slow
def test_deleting_a_bots_media_asks_first_then_records_who_asked(
    staff_client, api, recorder, s3_server
):
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})
    pk = Bot.objects.get().pk
    client = staff_client("view_bot", "change_bot")
    asked = {"action": "delete_media", "_selected_action": [pk]}

    confirm = client.post(BOTS, asked)

    assert confirm.status_code == 200 and "Yes, delete their media" in confirm.content.decode()
    assert Bot.objects.get().deletion_requested_at is None
    assert f"meetstream/{bot['bot_id']}_chats.json" in s3_server.keys(PLATFORM_BUCKET)

    client.post(BOTS, {**asked, "confirmed": "yes"})

    assert f"meetstream/{bot['bot_id']}_chats.json" not in s3_server.keys(PLATFORM_BUCKET)
    event = Bot.objects.get().events.get(event="deletion_requested")
    assert event.actor.startswith("staff:staff-2-")
    assert bot["bot_id"] in client.get(BOTS, {"deletion": "deleted"}).content.decode()
    assert bot["bot_id"] not in client.get(BOTS, {"deletion": "none"}).content.decode()
    assert bot["bot_id"] in client.get(BOTS, {"retention": "forever"}).content.decode()


@pytest.mark.slow
def test_only_staff_who_may_change_bots_can_delete_their_media(staff_client, api, recorder):
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})
    viewer = staff_client("view_bot")

    viewer.post(
        BOTS, {"action": "delete_media", "_selected_action": [Bot.objects.get().pk],
               "confirmed": "yes"}
    )  # fmt: skip

    assert Bot.objects.get().deletion_requested_at is None
    assert "delete_media" not in viewer.get(BOTS).content.decode()


def test_the_admins_media_filter_agrees_with_the_api_on_a_bot_half_uploaded(
    staff_client, api, recorder, config_body
):
    api.put(PUT, config_body(), format="json")
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]", "participants.json": b"[]"})
    # One file waits for a retry while the other is uploaded: the bot has not finished.
    Bot.objects.update(status="Stopped")
    BotArtifact.objects.filter(name="chats.json").update(
        state="retry_wait", next_attempt_at="2999-01-01T00:00:00Z"
    )
    client = staff_client("view_bot")

    listed = api.get("/api/v1/bots", {"media_state": "retrying"}).json()["results"]
    shown = {
        value: bot["bot_id"] in client.get(BOTS, {"media": value}).content.decode()
        for value in ("retrying", "unfinished", "retry_wait", "uploaded", "gave_up")
    }

    assert [item["bot_id"] for item in listed] == [bot["bot_id"]]
    assert shown == {
        "retrying": True,
        "unfinished": True,
        "retry_wait": True,
        "uploaded": False,
        "gave_up": False,
    }

import pytest

from bots.models import BotArtifact
from tests.support.media import create_bot, hand_over

BOTS = "/admin/bots/bot/"


@pytest.fixture(autouse=True)
def _committed(transactional_db):
    """Uploads are queued on commit."""


def test_a_bot_page_shows_its_pin_and_where_each_file_went(
    staff_client, api, recorder, config_body, bucket
):
    api.put("/api/v1/admin/configs?config_type=storage", config_body(), format="json")
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})
    client = staff_client("view_bot")
    artifact = BotArtifact.objects.get(name="chats.json")

    page = client.get(f"{BOTS}{artifact.bot_id}/change/").content.decode()

    assert bucket in page and artifact.key in page and "uploaded" in page
    assert config_body()["secret_key"] not in page and config_body()["access_key_id"] not in page


def test_retry_given_up_uploads_uploads_them_to_the_pinned_location(
    staff_client, api, recorder, config_body, s3_server, bucket
):
    api.put("/api/v1/admin/configs?config_type=storage", config_body(), format="json")
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

"""The one engine of due work: a file's fault stays that file's, no staged copy outlives its
record, and nothing writes a state but its declared table."""

import ast
import json

import pytest

from bots.models import Bot, BotArtifact
from bots.pipeline import transfer, uploads
from bots.pipeline.upload_lifecycle import UPLOADS
from bots.tasks import run_due_work
from meetstream.shared.due_work import Transitions
from tests.support.media import STATUS, create_bot, hand_over, sample_media
from tests.support.processes import ROOT

pytestmark = pytest.mark.django_db(transaction=True)  # uploads are queued on commit


LEFT = "/internal/v1/bots/{}/left"


@pytest.mark.slow
def test_a_missing_staged_file_gives_up_alone_within_one_pass(api, recorder, receiver, staging):
    bot = create_bot(api, callback_url=receiver.url)
    files = sample_media(bot, screenshots=1)
    hand_over(recorder, bot["bot_id"], files, leave=False)
    lost = BotArtifact.objects.get(name="audio.mp3")
    staging.remove(lost.staged_name)

    assert recorder.post(LEFT.format(bot["bot_id"])).status_code == 202

    media = api.get(STATUS.format(bot["bot_id"])).json()["media"]
    assert media["state"] == "partial"  # final: nothing is on its way any more
    assert media["uploaded"] == len(files) - 1
    assert media["failed"] == [
        {
            "file": "audio.mp3",
            "error": "The staged file is missing; it cannot be uploaded.",
            "reason": "staged_file_missing",
        }
    ]
    [failed] = [
        json.loads(r["body"]) for r in receiver.received if b"storage.upload_failed" in r["body"]
    ]
    assert (failed["data"]["file"], failed["data"]["reason"]) == (
        "audio.mp3",
        "staged_file_missing",
    )
    assert run_due_work()["uploads"] == 0  # nothing comes back round


@pytest.mark.slow
def test_an_unexpected_exception_fails_its_file_and_the_rest_are_recorded(
    api, recorder, monkeypatch
):
    bot = create_bot(api)
    files = sample_media(bot, screenshots=0)
    real = transfer._transfer_once

    def surprising(backend, artifact, body, started):
        if artifact.name == "audio.wav":
            raise RuntimeError("an SDK's surprise")
        return real(backend, artifact, body, started)

    monkeypatch.setattr(transfer, "_transfer_once", surprising)
    hand_over(recorder, bot["bot_id"], files)

    states = dict(BotArtifact.objects.values_list("name", "state"))
    assert states.pop("audio.wav") == "gave_up"
    assert set(states.values()) == {"uploaded"} and len(states) == len(files) - 1
    row = BotArtifact.objects.get(name="audio.wav")
    assert (row.last_reason, row.last_error) == (
        "storage_error",
        "The upload failed unexpectedly (RuntimeError).",
    )


@pytest.mark.slow
def test_a_staged_copy_left_by_a_worker_that_died_after_recording_is_swept(
    api, recorder, staging, monkeypatch
):
    bot = create_bot(api)
    files = sample_media(bot, screenshots=1)
    # The worker records every file as uploaded, then dies before it deletes a staged copy.
    monkeypatch.setattr(uploads, "staged_copies_discard", lambda names: None)
    hand_over(recorder, bot["bot_id"], files)
    assert Bot.objects.get().status == "Done"
    names = BotArtifact.objects.exclude(staged_name="").values_list("staged_name", flat=True)
    assert sorted(names) == staging.files(bot["bot_id"]) and len(names) == len(files)

    assert run_due_work()["staged_copies"] == len(files)

    assert staging.files(bot["bot_id"]) == []
    assert set(BotArtifact.objects.values_list("staged_name", flat=True)) == {""}
    assert run_due_work()["staged_copies"] == 0


# What persists a row's `state`: a keyword of update(), create() and the like, or `state` in a
# save()'s update_fields. Only a table's `move` may; `obj.state = TABLE.target(event)` mirrors a
# move already made.
_WRITERS = {"update", "create", "get_or_create", "update_or_create", "bulk_create"}
_APPS = ("bots", "media_fetch", "meetstream", "storageconfig")


def _state_writes() -> list[str]:
    found = []
    for app in _APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    keywords = {k.arg for k in node.keywords}
                    if node.func.attr in _WRITERS and "state" in keywords:
                        found.append(where)
                    if node.func.attr == "save" and "state" in ast.unparse(node):
                        found.append(where)
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        mirrored = ".target(" in ast.unparse(node.value)
                        if isinstance(target, ast.Attribute) and target.attr == "state":
                            if not mirrored:
                                found.append(where)
    return found


@pytest.mark.slow
def test_each_kind_of_work_declares_its_table_and_only_its_move_writes_a_state():
    writes = _state_writes()
    assert len(writes) == 1 and writes[0].startswith("meetstream/shared/due_work.py:"), writes
    from bots.bot import removal_lifecycle
    from bots.webhooks import lifecycle as webhook_lifecycle

    tables = [UPLOADS, webhook_lifecycle.WEBHOOKS, removal_lifecycle.REMOVALS]
    assert all(isinstance(table, Transitions) for table in tables)
    for table in tables:  # every event's target is a state the table knows
        states = {target for _, target in table.table.values()}
        sources = set().union(*(sources for sources, _ in table.table.values()))
        assert sources <= states | {"staged"}, table.kind

"""The README's quickstart through a TypeScript client generated from the live schema, as a
customer would make it: openapi-typescript writes the types, `tsc --strict` checks
clients/typescript/quickstart.ts against them (no cast anywhere), and node runs it with
openapi-fetch against the live server while the recorder hands the bot's media over."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import urllib.request

import pytest

from meetstream.tenants.services import api_key_create
from tests.support.media import hand_over, sample_media
from tests.support.processes import ROOT

CLIENT = ROOT / "clients" / "typescript"
BIN = CLIENT / "node_modules" / ".bin"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed"),
]


def run(*command: str, cwd, timeout: float = 120) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def program(live_server, tmp_path):
    """quickstart.ts beside types generated from the live schema, checked and compiled."""
    with urllib.request.urlopen(f"{live_server.url}/api/schema/?format=json") as answer:  # noqa: S310
        (tmp_path / "schema.json").write_bytes(answer.read())
    for name in ("quickstart.ts", "tsconfig.json", "package.json"):
        shutil.copy(CLIENT / name, tmp_path / name)
    (tmp_path / "node_modules").symlink_to(CLIENT / "node_modules")
    run(str(BIN / "openapi-typescript"), "schema.json", "-o", "schema.d.ts", cwd=tmp_path)
    run(str(BIN / "tsc"), "-p", ".", "--strict", "--noEmit", cwd=tmp_path)
    run(str(BIN / "tsc"), "-p", ".", cwd=tmp_path)
    return tmp_path / "build" / "quickstart.js"


def test_the_quickstart_has_no_cast_and_the_readme_shows_it():
    source = (CLIENT / "quickstart.ts").read_text()
    code = re.sub(r"//.*", "", source)
    assert not re.search(r"\bas\s+(?!const\b)\w", code), "a cast (`as T`)"
    assert not re.search(r"\w[!](?=[.)\[;,])", code), "a non-null assertion (`x!`)"
    assert "any" not in re.findall(r"\w+", code)
    shown = source.split("// quickstart:begin\n")[1].split("// quickstart:end")[0]
    readme = (ROOT / "README.md").read_text()
    assert shown.strip() in readme, "README.md shows the quickstart as quickstart.ts runs it"


def test_the_quickstart_runs_through_a_generated_typescript_client(
    program, live_server, tenant, recorder, config_body
):
    body = config_body()
    key = api_key_create(tenant=tenant).plaintext
    env = {
        **os.environ,
        "API": live_server.url,
        "KEY": key,
        "BUCKET": body["bucket_name"],
        "ACCESS_KEY_ID": body["access_key_id"],
        "SECRET_KEY": body["secret_key"],
        "ENDPOINT_URL": body["endpoint_url"],
    }
    node = subprocess.Popen(
        ["node", str(program)],
        cwd=program.parent.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        saved = node.stdout.readline()
        assert "Storage config saved successfully (aws, read_write)" in saved, (
            saved + node.stderr.read()
        )
        created = json.loads(node.stdout.readline())
        files = sample_media(created, screenshots=2)
        hand_over(recorder, created["bot_id"], files)
        out, err = node.communicate(timeout=60)
    finally:
        node.kill()
    assert node.returncode == 0, out + err
    lines = out.splitlines()
    summary = json.loads(lines[-1])
    chat = json.loads(files["chats.json"])
    transcript = json.loads(files[next(name for name in files if "processed" in name)])

    assert f"audio: {len(files['audio.wav'])} bytes, URL valid 3600 s" in lines
    assert summary["audio_sha256"] == hashlib.sha256(files["audio.wav"]).hexdigest()
    assert summary["chat"] == [line["message"] for line in chat]
    assert summary["transcript"] == [line["transcript"] for line in transcript]
    assert summary["participants"] == [p["name"] for p in json.loads(files["participants.json"])]
    assert summary["raw_provider"] == "meetstream"
    assert summary["guide_transcript"] == len(transcript)
    assert {"audio.wav", "chats.json"} <= set(summary["manifest_files"])
    assert summary["screenshots"] == 2
    assert summary["screenshot_png"] == list(b"PNG")  # the signature's letters
    assert summary["screenshot_saved_as"].startswith('attachment; filename="')
    assert summary["screenshot_url_life"] == [600, None]
    assert "s3:PutObject" in summary["policy_actions"]
    assert "s3:DeleteObject" in summary["policy_actions"]  # allow_delete: true, a boolean
    assert summary["active_bucket"] == body["bucket_name"]
    assert summary["configs"] == [[None, body["bucket_name"]]]
    assert summary["wrong_key"] == "authentication_failed"
    assert key not in out + err

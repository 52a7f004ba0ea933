"""`make run`'s entry point started for real, its printed quickstart pasted into a shell."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest

from meetstream.shared.processes import free_port, process_stop

ROOT = Path(__file__).resolve().parents[2]
EMULATOR_PORTS = (free_port(), free_port())
pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="the quickstart uses curl")


def wait_for_line(log: Path, text: str, process: subprocess.Popen, seconds: float = 120) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        output = log.read_text(errors="replace")
        if text in output:
            return output
        if process.poll() is not None:
            raise AssertionError(f"make run exited with {process.returncode}:\n{output}")
        time.sleep(0.2)
    raise AssertionError(f"no {text!r} within {seconds} s:\n{log.read_text()}")


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def start(tmp_path, env, api_port, s3_port, log_name: str) -> tuple[subprocess.Popen, str]:
    emulator_ports = [str(port) for port in EMULATOR_PORTS]
    log = tmp_path / log_name
    with log.open("wb") as out:
        server = subprocess.Popen(  # the Makefile's `run` command
            [
                sys.executable,
                "manage.py",
                "serve_demo",
                "--addr",
                f"127.0.0.1:{api_port}",
                "--s3-port",
                str(s3_port),
                "--gcs-port",
                emulator_ports[0],
                "--azure-port",
                emulator_ports[1],
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return server, wait_for_line(log, "Stop with Ctrl-C.", server)


def stop(server: subprocess.Popen, *ports: int) -> None:
    server.send_signal(signal.SIGINT)
    assert server.wait(timeout=90) == 0
    assert not any(port_open(port) for port in ports)


def curl_json(api_port: int, key: str, path: str, *data: str) -> dict:
    command = ["curl", "-s", f"http://127.0.0.1:{api_port}{path}"]
    command += ["-H", f"Authorization: Token {key}", "-H", "Content-Type: application/json"]
    command += ["-d", data[0]] if data else []
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=True)
    return json.loads(result.stdout)


def assert_bots_finish_on_the_worker(api_port: int, output: str) -> None:
    """create_bot answers at once; the meeting and the upload happen later, on the worker."""
    key = output.split("Demo API key:", 1)[1].split()[0]
    link = '{"meeting_link": "https://meet.google.com/abc-defg-hij", "bot_name": "Async"}'
    bot = curl_json(api_port, key, "/api/v1/bots/create_bot", link)["bot_id"]
    status = f"/api/v1/bots/{bot}/status"
    assert curl_json(api_port, key, status)["status"] != "Done"  # not run inside the request
    deadline = time.monotonic() + 60
    while curl_json(api_port, key, status)["status"] != "Done":
        assert time.monotonic() < deadline, curl_json(api_port, key, status)
        time.sleep(0.5)


def assert_the_readmes_role_variant_works(tmp_path, api_port: int, s3_port: int, output: str):
    """The role quickstart for `make run` (docs/providers.md), pasted: the demo's STS (moto)
    reads no trust policy and holds the platform's account, so the role is refused as a
    customer would see it."""
    readme = (ROOT / "docs" / "providers.md").read_text()
    block = readme.split("**With `make run`**", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    key = output.split("Demo API key:", 1)[1].split()[0]
    script = tmp_path / "role.sh"
    script.write_text(
        f"set -euo pipefail\nexport API=http://127.0.0.1:{api_port} KEY={key}\n"
        + block.replace("127.0.0.1:9010", f"127.0.0.1:{s3_port}")
    )

    pasted = subprocess.run(
        ["bash", str(script)], capture_output=True, text=True, timeout=60, check=False
    )

    assert pasted.returncode == 0, pasted.stdout + pasted.stderr
    external_id = pasted.stdout.split('"external_id":"', 1)[1].split('"', 1)[0]
    assert external_id.startswith("ext_")
    assert '"reason":"role_not_protected"' in pasted.stdout
    assert "in the platform's own AWS account" in pasted.stdout


def assert_each_other_provider_works(tmp_path, api_port: int, output: str) -> None:
    """The commented PUT of each emulated provider, pasted; then a bot's audio comes back
    from that emulator."""
    key = output.split("Demo API key:", 1)[1].split()[0]
    lines = output.splitlines()
    starts = [n for n, line in enumerate(lines) if line.startswith("  # or, ")]
    assert [lines[n].split()[2] for n in starts] == ["gcs", "azure"], output
    for n in starts:
        provider = lines[n].split()[2]
        put = "\n".join(line.replace("  # ", "", 1) for line in lines[n + 1 : n + 3])
        script = tmp_path / f"{provider}.sh"
        script.write_text(
            f"set -euo pipefail\nexport API=http://127.0.0.1:{api_port} KEY={key}\n{put}\n"
        )
        pasted = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=60)
        assert '"message":"Storage config saved successfully"' in pasted.stdout, pasted
        link = '{"meeting_link": "https://meet.google.com/abc-defg-hij", "bot_name": "Other"}'
        bot = curl_json(api_port, key, "/api/v1/bots/create_bot", link)["bot_id"]
        deadline = time.monotonic() + 60
        while curl_json(api_port, key, f"/api/v1/bots/{bot}/status")["status"] != "Done":
            assert time.monotonic() < deadline, provider
            time.sleep(0.5)
        url = curl_json(api_port, key, f"/api/v1/bots/{bot}/get_audio")["audio_url"]
        wav = tmp_path / f"{provider}.wav"
        subprocess.run(["curl", "-sf", "-o", str(wav), url], check=True, timeout=30)
        with wave.open(str(wav)) as audio:
            assert audio.getnframes() > 0, provider


@pytest.mark.e2e
def test_the_printed_quickstart_works_when_pasted_into_a_shell(tmp_path):
    api_port, s3_port = free_port(), free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PLATFORM_S3_", "REDIS_URL", "DATABASE_URL", "DJANGO_"))
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
        STORAGE_ALLOW_PRIVATE_ENDPOINTS="true",
        RECORDER_MODE="simulated",
    )
    server, output = start(tmp_path, env, api_port, s3_port, "run.log")
    try:
        assert "(user admin, password " in output
        quickstart = output.split("Quickstart (paste into a shell):", 1)[1].split(
            "Stop with Ctrl-C."
        )[0]
        script = tmp_path / "quickstart.sh"
        script.write_text("set -euo pipefail\n" + quickstart)

        pasted = subprocess.run(
            ["bash", str(script)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

        assert pasted.returncode == 0, pasted.stdout + pasted.stderr
        assert '"message":"Storage config saved successfully"' in pasted.stdout
        assert pasted.stdout.endswith("}\n"), "the PUT's answer ends its line (no stuck prompt)"
        gcs_port, azure_port = EMULATOR_PORTS
        assert f"  GCS emulator:  http://127.0.0.1:{gcs_port} (bucket " in output
        azurite = f"http://127.0.0.1:{azure_port}/devstoreaccount1"
        assert f"  Azurite:       {azurite} (container " in output
        with wave.open(str(tmp_path / "audio.wav")) as audio:
            assert audio.getnchannels() == 1 and audio.getnframes() > 0
        assert_bots_finish_on_the_worker(api_port, output)
        assert_the_readmes_role_variant_works(tmp_path, api_port, s3_port, output)
        assert_each_other_provider_works(tmp_path, api_port, output)
        # The quickstart is the last thing make run prints: the worker shows no banner after it.
        after = (tmp_path / "run.log").read_text().split("Stop with Ctrl-C.", 1)[1]
        assert "celery@" not in after and "[tasks]" not in after, after
        stop(server, api_port, s3_port)

        # Started again over the same data: the tenant and its configuration are still there.
        server, again = start(tmp_path, env, api_port, s3_port, "run-again.log")
        key = output.split("Demo API key:", 1)[1].split()[0]
        # The same key and admin password (kept in var/): restarts do not pile up keys.
        assert again.split("Demo API key:", 1)[1].split()[0] == key
        password = output.split("password ", 1)[1].split(")")[0]
        assert again.split("password ", 1)[1].split(")")[0] == password
        config = subprocess.run(
            [
                "curl",
                "-s",
                f"http://127.0.0.1:{api_port}/api/v1/admin/configs",
                "-H",
                f"Authorization: Token {key}",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        assert '"container":"customer-sample-container"' in config.stdout  # the last one saved
        stop(server, api_port, s3_port)
    finally:
        if server.poll() is None:
            process_stop(server)


def test_without_azurite_make_run_says_so_and_how_to_get_it():
    from meetstream.demo.management.commands.serve_demo import Others
    from meetstream.shared.processes import LocalServer

    gcs = LocalServer(url="http://127.0.0.1:9011", process=None)
    lines = Others(bodies={}, started={"gcs": gcs}).lines()

    assert lines[0].startswith("  GCS emulator:  http://127.0.0.1:9011 (bucket ")
    assert "Azurite:       not installed" in lines[1]
    assert "npm install --prefix .tools azurite@3.35.0" in lines[1]

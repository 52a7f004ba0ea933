"""Local stand-ins for Google Cloud Storage and Azure Blob Storage, for `make run` and the
tests: gcp-storage-emulator (from PyPI) and Azurite (from npm, installed by `make test`)."""

import shutil
import subprocess
import sys
import uuid
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from meetstream.shared.processes import LocalServer, free_port, local_server_wait

# Azurite's well-known development account: public, in Microsoft's documentation.
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


def service_account_key(project: str) -> dict:
    """A service account key as Google hands it out, with a private key made here: what the
    emulator's configurations sign their URLs with."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": project,
        "private_key_id": uuid.uuid4().hex,
        "private_key": pem,
        "client_email": f"media-writer@{project}.iam.gserviceaccount.com",
        "client_id": "100000000000000000001",
        "token_uri": "https://oauth2.googleapis.com/token",
    }


def azurite_path() -> str | None:
    """Azurite's blob server: the one `make test` installs under .tools/, or one on PATH."""
    local = Path(settings.BASE_DIR) / ".tools" / "node_modules" / ".bin" / "azurite-blob"
    return str(local) if local.exists() else shutil.which("azurite-blob")


def gcs_emulator_start(*, port: int | None = None) -> LocalServer:
    """Its URL is what STORAGE_EMULATOR_HOST must name."""
    port = port or free_port()
    command = [sys.executable, "-m", "gcp_storage_emulator", "start", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--in-memory", "--quiet"]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    return local_server_wait(process, url, probe="/", name=f"gcp-storage-emulator on {url}")


def azurite_start(*, workspace: Path, port: int | None = None) -> LocalServer:
    """Its URL is the development account's: http://127.0.0.1:<port>/devstoreaccount1."""
    binary = azurite_path()
    if binary is None:
        raise RuntimeError("Azurite is not installed: `make test` installs it with npm.")
    port = port or free_port()
    command = [binary, "--blobHost", "127.0.0.1", "--blobPort", str(port), "--inMemoryPersistence"]
    command += ["--skipApiVersionCheck", "--disableTelemetry", "--silent"]
    # In memory, it still writes its debug and extent files under the working directory.
    process = subprocess.Popen(  # noqa: S603 - Azurite as installed, fixed arguments
        command, cwd=workspace, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    local_server_wait(
        process, base, probe=f"/{AZURITE_ACCOUNT}?comp=list", name=f"Azurite on {base}"
    )
    return LocalServer(url=f"{base}/{AZURITE_ACCOUNT}", process=process)

"""Where prometheus-client's multiprocess mode keeps each process's counts.

It is chosen by PROMETHEUS_MULTIPROC_DIR when prometheus_client is first imported, so the
gunicorn master and the Celery worker's main process call this before anything imports it,
and their forked children inherit it. Nothing here imports prometheus_client.

Each process group (one gunicorn, one Celery worker) counts in a folder of its own under the
folder the environment names, `<PROMETHEUS_MULTIPROC_DIR>/<group>-<pid>`: a web and workers
given the same variable on one host never sum, nor empty, each other's counts.
"""

import os
import re
import shutil
import tempfile
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_PARENT_ENV = "MEETSTREAM_METRICS_PARENT"  # the operator's folder, for the group's children
_GROUP_FOLDER = re.compile(r"(web|worker)-(\d+)")


def metrics_dir_prepare(group: str) -> str:
    """This process group's own counting folder, made PROMETHEUS_MULTIPROC_DIR; the same
    folder when this process or its parent prepared it already. Folders of groups no longer
    running are removed."""
    current = os.environ.get(MULTIPROC_ENV, "")
    parent = os.environ.get(_PARENT_ENV)
    if (
        parent
        and Path(current).parent == Path(parent)
        and _GROUP_FOLDER.fullmatch(Path(current).name)
    ):
        return current
    parent = current or tempfile.mkdtemp(prefix="meetstream-metrics-")
    Path(parent).mkdir(parents=True, exist_ok=True)
    _finished_groups_remove(Path(parent))
    folder = Path(parent) / f"{group}-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)  # a process id used before
    folder.mkdir()
    os.environ[_PARENT_ENV] = parent
    os.environ[MULTIPROC_ENV] = str(folder)
    return str(folder)


def metrics_dir_release() -> None:
    """The group's main process is exiting: its folder goes with it."""
    folder = Path(os.environ.get(MULTIPROC_ENV, ""))
    match = _GROUP_FOLDER.fullmatch(folder.name)
    if match and int(match[2]) == os.getpid():
        shutil.rmtree(folder, ignore_errors=True)


def _finished_groups_remove(parent: Path) -> None:
    for folder in parent.iterdir():
        match = _GROUP_FOLDER.fullmatch(folder.name)
        if match and folder.is_dir() and not _running(int(match[2])):
            shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True

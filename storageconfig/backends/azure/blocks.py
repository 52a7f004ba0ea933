"""A large blob sent as blocks through a pool of part threads that an upload pass's blobs share:
a lone blob has every thread, and each thread holds one block in memory, however many blobs are
on their way (the SDK's own `upload_blob` holds its threads' blocks for each blob)."""

import base64
import uuid
from concurrent.futures import FIRST_EXCEPTION, Executor, wait

from azure.storage.blob import BlobBlock, BlobClient, ContentSettings

from storageconfig.backends.base import source_opened


def blocks_upload(
    blob: BlobClient,
    source,
    *,
    size: int,
    part: int,
    pool: Executor,
    content_settings: ContentSettings,
    metadata: dict,
) -> dict:
    """Stage the source (a path or an ObjectSource, read a block at a time from its own
    reader) in blocks of `part` bytes, each with its Content-MD5 (Azure checks it before
    keeping the block), then commit them: what Azure answered the commit."""
    # Fresh ids of one length (Azure's rule): an earlier attempt's blocks are never reused, and
    # the commit discards them.
    attempt = uuid.uuid4().hex
    ids = [
        base64.b64encode(f"{attempt}-{n:06d}".encode()).decode()
        for n in range((size + part - 1) // part)
    ]

    def send(n: int) -> None:
        start = n * part
        with source_opened(source) as stream:
            stream.seek(start)
            data = stream.read(min(part, size - start))
        blob.stage_block(ids[n], data, validate_content=True)

    sent = [pool.submit(send, n) for n in range(len(ids))]
    done, waiting = wait(sent, return_when=FIRST_EXCEPTION)
    for block in waiting:
        block.cancel()
    for block in done:
        block.result()  # the first failure raises here
    return blob.commit_block_list(
        [BlobBlock(block_id) for block_id in ids],
        content_settings=content_settings,
        metadata=metadata,
    )

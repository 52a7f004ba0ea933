"""Staging as a test sees it, whichever mode runs: a folder of MEDIA_ROOT, or the staging bucket."""

from dataclasses import dataclass
from pathlib import Path

from tests.support.media import staged_files


@dataclass
class Staging:
    """What staging holds. `mode` is "disk" or "bucket" (STAGING_S3_BUCKET on the moto server)."""

    mode: str
    media_root: Path
    s3: object = None
    bucket: str | None = None

    def files(self, bot_id: str) -> list[str]:
        """The staged names of a bot's files: on disk partial ones too, in the bucket whole
        objects only (an unfinished upload is no object; see `unfinished`)."""
        if self.bucket:
            pages = self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=f"staging/{bot_id}/"
            )
            return sorted(item["Key"] for page in pages for item in page.get("Contents", []))
        root = self.media_root
        return [str(path.relative_to(root)) for path in staged_files(root, bot_id)]

    def read(self, name: str) -> bytes:
        if self.bucket:
            return self.s3.get_object(Bucket=self.bucket, Key=name)["Body"].read()
        return (self.media_root / name).read_bytes()

    def remove(self, name: str) -> None:
        """Lose a staged copy, as a disk or a person would."""
        if self.bucket:
            self.s3.delete_object(Bucket=self.bucket, Key=name)
        else:
            (self.media_root / name).unlink()

    def unfinished(self) -> list[str]:
        """What interrupted writes left: partial files on disk, open multipart uploads in the
        bucket."""
        if self.bucket:
            listed = self.s3.list_multipart_uploads(Bucket=self.bucket)
            return sorted(upload["Key"] for upload in listed.get("Uploads", []))
        return sorted(str(path) for path in self.media_root.rglob("*.part"))

    def env(self) -> dict[str, str]:
        """What a process started by the test needs to stage where this process does."""
        return {"STAGING_S3_BUCKET": self.bucket} if self.bucket else {}

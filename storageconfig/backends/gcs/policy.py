"""The least a GCS configuration's service account needs: a custom role, granted on the
bucket under an IAM condition that holds it to the prefixes."""

import json

from storageconfig.rules import folder_start


def cel_string(text: str) -> str:
    """A CEL string literal holding exactly `text`: JSON's escapes are CEL's too, so a quote
    in a prefix stays inside the literal."""
    return json.dumps(text, ensure_ascii=False)


def bucket_policy(bucket: str, folders: list[str], access_mode: str, allow_delete: bool) -> dict:
    permissions = ["storage.objects.create"]
    if access_mode == "read_write":
        permissions += ["storage.objects.get", "storage.buckets.get"]
    if allow_delete:
        permissions.append("storage.objects.delete")
    name = f"projects/_/buckets/{bucket}"
    places = [f"resource.name == {cel_string(name)}"] + [
        f"resource.name.startsWith({cel_string(f'{name}/objects/{folder_start(folder)}')})"
        for folder in folders
    ]
    return {
        "provider": "gcs",
        "role": {"title": "MeetStream media", "includedPermissions": sorted(permissions)},
        "condition": {"title": "MeetStream prefixes", "expression": " || ".join(places)},
    }

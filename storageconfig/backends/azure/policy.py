"""The least an Azure configuration's credentials need on its container."""


def container_policy(
    container: str, prefixes: list[str], access_mode: str, allow_delete: bool
) -> dict:
    """The SAS permissions (or the data role) the credentials need on the container."""
    permissions = "cw" + ("r" if access_mode == "read_write" else "")
    permissions += "d" if allow_delete else ""
    return {
        "provider": "azure",
        "container": container,
        "sas_permissions": "".join(sorted(permissions, key="rcwd".index)),
        "sas_resource": "c",
        "prefixes": prefixes,
        "role": "Storage Blob Data Contributor"
        if access_mode == "read_write"
        else "A custom role with Microsoft.Storage/storageAccounts/blobServices/containers/"
        "blobs/write only",
    }

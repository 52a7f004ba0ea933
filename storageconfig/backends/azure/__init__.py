"""Azure Blob Storage: a container of a storage account, with its account key or a SAS token."""

from storageconfig.backends import Provider

PROVIDER = Provider(
    backend="storageconfig.backends.azure.backend.AzureBackend",
    fields="storageconfig.backends.azure.fields.AzureFields",
    shown="storageconfig.backends.azure.fields.AzureShown",
    policies=("storageconfig.backends.azure.fields.AzurePolicySerializer",),
    loggers=("azure",),
)

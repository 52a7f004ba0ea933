from django.urls import path

from storageconfig.views import (
    ExternalIdView,
    NamedConfigListView,
    StorageConfigView,
    StoragePolicyView,
    StorageValidateView,
)

urlpatterns = [
    path("api/v1/admin/configs", StorageConfigView.as_view(), name="storage-configs"),
    path("api/v1/admin/configs/names", NamedConfigListView.as_view(), name="storage-names"),
    path("api/v1/admin/configs/external_id", ExternalIdView.as_view(), name="storage-external-id"),
    path("api/v1/admin/configs/policy", StoragePolicyView.as_view(), name="storage-policy"),
    path("api/v1/admin/configs/validate", StorageValidateView.as_view(), name="storage-validate"),
]

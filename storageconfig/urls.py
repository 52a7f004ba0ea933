from django.urls import path

from storageconfig.views import StorageConfigView

urlpatterns = [
    path("api/v1/admin/configs", StorageConfigView.as_view(), name="storage-configs"),
]

from rest_framework import serializers

from meetstream.shared.serializers import StrictCharField
from storageconfig.fields import ProviderFields, credential


class FolderFields(ProviderFields):
    folder_name = StrictCharField(max_length=63)
    token = credential("The token", 64)


class FolderShown(serializers.Serializer):
    folder_name = serializers.CharField()

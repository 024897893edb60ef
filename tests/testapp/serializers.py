"""Test-only serializers: a plain ModelSerializer over every field type."""

from rest_framework import serializers

from .models import EveryField


class EveryFieldSerializer(serializers.ModelSerializer):
    class Meta:
        model = EveryField
        fields = "__all__"
        # Maintained by the connector (optimistic locking), never written by a client.
        read_only_fields = ["version"]

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class DynamoDBConfig(AppConfig):
    name = "dynamodb"
    verbose_name = "DynamoDB"

    def ready(self):
        from . import checks  # noqa: F401  (registers the settings checks)
        from .query import related
        from .storage import relations, tables

        relations.connect()
        related.install_descriptors()
        if apps.is_installed("drf_spectacular"):
            from .rest import openapi  # noqa: F401  (registers the schema extension)
        post_migrate.connect(
            tables.create_after_migrate, dispatch_uid="dynamodb.tables.create_after_migrate"
        )

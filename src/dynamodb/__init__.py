"""DynamoDB for Django: models stored in DynamoDB, a Connector and a DRF viewset."""

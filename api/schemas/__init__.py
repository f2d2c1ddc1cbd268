"""Response and request bodies of the REST API (the alert body is `gridwatch.contracts.alert`)."""

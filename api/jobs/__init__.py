"""The centre's running work over one `ApiContext`: units of work that open their own session and
commit (`units`, `fleet`), the webhook sender (`dispatcher`) and the periodic loop (`periodic`)."""

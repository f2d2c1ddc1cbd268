"""The edge configuration's error."""


class EdgeConfigError(ValueError):
    """The edge configuration is missing, malformed or inconsistent; the message names the field."""

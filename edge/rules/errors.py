"""Errors of the rules engine."""


class RulesError(ValueError):
    """A rules config or rule set that cannot be used; the message names the rule, zone or line."""

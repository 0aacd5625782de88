"""Errors the services raise; the API maps each to its HTTP status."""


class NotFound(LookupError):
    """404: the resource does not exist."""


class Conflict(RuntimeError):
    """409: the request conflicts with the resource's state."""


class Invalid(ValueError):
    """422: a well-formed request whose values are not acceptable."""

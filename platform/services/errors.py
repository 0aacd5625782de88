"""Errors the services raise; the API maps each to its HTTP status."""


class NotFound(LookupError):
    """404: the resource does not exist."""


class Conflict(RuntimeError):
    """409: the request conflicts with the resource's state."""


class Invalid(ValueError):
    """422: a well-formed request whose values are not acceptable."""


class BadRequest(ValueError):
    """400: malformed request parameters (the spec's code for reconcile and metrics queries)."""


class Unavailable(RuntimeError):
    """503: a component the request needs (Ray, Serve) is not running."""


class Failed(RuntimeError):
    """500 with a detail: a real failure while carrying out a valid request (e.g. a reconciliation run)."""


class TooMany(RuntimeError):
    """429: a limit on how much may wait or run at once is reached."""


class Forbidden(PermissionError):
    """403: the resource may not be changed (e.g. a shipped workload group)."""


class TooLarge(ValueError):
    """413: an upload over its documented limit."""

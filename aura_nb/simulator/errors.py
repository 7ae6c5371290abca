"""The one exception the simulator's request handlers raise to answer with an error body."""

from __future__ import annotations


class ApiError(Exception):
    """An HTTP error answer: ``status`` with body ``{"errors": [{"message", "reason", "field"}]}``.

    ``field`` names the offending request-body property when there is one. ``shape`` selects the
    body layout: ``"errors"`` (the standard v1 shape), ``"middleware"`` (``{"error": message}``,
    what the gateway answers for auth and rate limits) or ``"session"`` (the graph-analytics
    endpoints' ``{"data": null, "errors": [{"id": "", "message", "reason": ""}]}``); v2beta1 adds
    ``"pair"`` (a bare ``{"message", "reason"}``), ``"validation"`` (``{"errors": {field:
    [message]}, "message": ..., "reason": "validation-error"}``) and ``"text"`` (the message as a
    plain-text body).
    """

    def __init__(self, status: int, reason: str, message: str, field: str | None = None,
                 shape: str = "errors", headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.field = field
        self.shape = shape
        self.headers = headers or {}

    def body(self) -> dict | str:
        """The JSON body for this error (a string for the ``"text"`` shape)."""
        if self.shape == "text":
            return self.message
        if self.shape == "pair":
            return {"message": self.message, "reason": self.reason}
        if self.shape == "validation":
            return {"errors": {self.field or "body": [self.message]},
                    "message": "The request body contains validation errors",
                    "reason": "validation-error"}
        if self.shape == "middleware":
            return {"error": self.message}
        if self.shape == "session":
            return {"data": None, "errors": [{"id": "", "message": self.message, "reason": ""}]}
        error = {"message": self.message, "reason": self.reason}
        if self.field:
            error["field"] = self.field
        return {"errors": [error]}


def bad_request(message: str, field: str | None = None, reason: str = "validation-error") -> ApiError:
    """A 400 naming the offending ``field``. Its default ``reason`` is the one the reference
    documents for a body that fails validation (v2beta1's); for v1 Neo4j documents none."""
    return ApiError(400, reason, message, field)


def not_found_instance(instance_id: str) -> ApiError:
    """The 404 the service answers for an unknown or deleted instance id."""
    return ApiError(404, "db-not-found", f"DB not found: {instance_id}")


def not_found_tenant() -> ApiError:
    """The 404 the service answers for a tenant the caller cannot see."""
    return ApiError(404, "tenant-not-found", "The tenant you specified could not be found")


def busy(operation: str) -> ApiError:
    """The 409 answered while a lifecycle operation is in flight."""
    return ApiError(409, "ongoing-database-operation",
                    f"The database is currently undergoing an operation: {operation}")

"""The whole aura_nb exception tree, and `error_for()` that turns an HTTP error response into it.

Every exception's ``str()`` is one line a learner can act on, for example::

    404 db-not-found: DB not found: 1a2b3c4d (GET /v1/instances/1a2b3c4d) [request id 8a35.../1238...]

No exception text ever contains a header, a token, a client secret or a password: messages are
built from the API's own error fields, the HTTP method and the path only.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

__all__ = [
    "AuraError",
    "ConfigurationError",
    "CredentialsUnavailable",
    "AuthenticationFailed",
    "TransportError",
    "ApiError",
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "NameNotFound",
    "Conflict",
    "RateLimited",
    "ServerError",
    "AmbiguousName",
    "CreateResponseLost",
    "EarlierCreateUnresolved",
    "InstanceWaitError",
    "InstanceWaitTimeout",
    "InstanceStatusUnreachable",
    "WaitCancelled",
    "WaitIncomplete",
    "InvalidInstanceSpec",
    "InvalidId",
    "VaultError",
    "VaultEntryNotFound",
    "VaultUnwritable",
    "VaultWriteFailed",
    "error_for",
    "error_line",
    "parse_error_body",
    "looks_like_html",
    "html_page_message",
]

_MAX_TEXT = 300  # plain-text error bodies (an HTML page from a proxy...) are cut to this length


def _one_line(text: str, limit: int = _MAX_TEXT) -> str:
    """Collapse whitespace so a message stays on one line, and cut very long text."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class AuraError(Exception):
    """Base class of every error aura_nb raises on purpose; catch it to catch them all."""


def error_line(exc: BaseException, *, named: bool = False, limit: int | None = None) -> str:
    """The one way an exception is shown as one line (forms, magics, the notebook layer): its
    message with whitespace collapsed; a kit error's message is written to be that line, without
    headers or secrets. Any other exception is marked as unexpected
    (``Unexpected KeyError: 'x'``); ``named`` puts a kit error's class first too
    (``NotFound: 404 ...``), as the magics and the notebooks show it. ``limit`` cuts a longer
    line with an ellipsis."""
    name = type(exc).__name__
    text = " ".join(str(exc).split())
    if not isinstance(exc, AuraError):
        text = f"Unexpected {name}: {text}" if text else f"Unexpected {name}"
    elif named:
        text = f"{name}: {text}" if text else name
    return _one_line(text or name, limit) if limit else text or name

    def __init__(self, message: str = "") -> None:
        super().__init__(_one_line(message, limit=2000))

    @property
    def message(self) -> str:
        """The one-line message (same as ``str(error)``)."""
        return str(self)


class ConfigurationError(AuraError):
    """Raised when a setting is malformed: a bad base URL, a non-numeric timeout, a rate below 0."""


class CredentialsUnavailable(AuraError):
    """Raised when there is nothing to try: no client id/secret as arguments, in the environment
    or in ``.env``. The message names every place and variable that was looked at, never a value."""


class AuthenticationFailed(AuraError):
    """Raised when the token endpoint (``POST /oauth/token``) refused the client id and secret:
    the credentials were tried and rejected (as opposed to `CredentialsUnavailable`)."""

    def __init__(
        self, message: str, *, status_code: int | None = None, request_id: str | None = None
    ) -> None:
        self.status_code = status_code
        self.request_id = request_id
        super().__init__(message)


class TransportError(AuraError):
    """Raised when no HTTP answer arrived: connection refused or dropped, timeout, TLS failure.

    The original ``requests`` exception is chained as ``__cause__``; the message itself names only
    the method and path, never a full URL with query values or a header. ``sent`` is False when
    the request provably never reached the server (no connection, name not resolved, no time
    left): then not even a POST can have been carried out."""

    def __init__(self, message: str, *, method: str = "", path: str = "", sent: bool = True
                 ) -> None:
        self.method = method
        self.path = path
        self.sent = sent
        super().__init__(message)


class ApiError(AuraError):
    """Raised for an HTTP answer with status >= 400 that has no more specific class
    (402, 405, 415, 420, 308 redirects...).

    Attributes: ``status_code``, ``reason`` (the API's machine-readable reason, may be ``""``),
    ``messages`` (every message the body carried), ``field`` (offending body property, if named),
    ``method``, ``path``, ``request_id`` (quote it to Neo4j support)."""

    def __init__(
        self,
        status_code: int | None = None,
        reason: str = "",
        messages: Iterable[str] = (),
        *,
        method: str = "",
        path: str = "",
        request_id: str | None = None,
        field: str | None = None,
        hint: str = "",
    ) -> None:
        self.status_code = status_code
        self.reason = reason or ""
        self.messages = tuple(_one_line(m) for m in messages if m)
        self.method = method
        self.path = path
        self.request_id = request_id
        self.field = field
        self.hint = hint
        super().__init__(self._compose())

    def _compose(self) -> str:
        head = " ".join(p for p in (str(self.status_code or ""), self.reason) if p)
        text = "; ".join(self.messages) or "no error message in the response"
        if self.field:
            text += f" (field {self.field})"
        line = f"{head}: {text}" if head else text
        if self.method or self.path:
            line += f" ({' '.join(p for p in (self.method, self.path) if p)})"
        if self.request_id:
            line += f" [request id {self.request_id}]"
        if self.hint:
            line += f". {self.hint}"
        return line


class BadRequest(ApiError):
    """Raised on HTTP 400: the request body or parameters were invalid; fix them, do not resend."""


class Unauthorized(ApiError):
    """Raised on HTTP 401 from ``/v1`` even after fetching a fresh token once: the token was not
    accepted as belonging to an authentic client."""


class Forbidden(ApiError):
    """Raised on HTTP 403 from ``/v1`` even after fetching a fresh token once: the client lacks
    permission for that project or resource."""


class NotFound(ApiError):
    """Raised on HTTP 404 (unknown instance, tenant or snapshot)."""


class NameNotFound(NotFound):
    """Raised locally when no tenant or instance has the exact name or id asked for; the message
    lists the names that do exist. Nothing was changed on the server."""

    def __init__(self, message: str, *, candidates: Iterable[str] = ()) -> None:
        self.candidates = tuple(candidates)
        super().__init__(None, "", [message])


class Conflict(ApiError):
    """Raised on HTTP 409, typically ``ongoing-database-operation``: another operation is still in
    flight on that instance. Wait for it to finish (``wait_for_instance``) and try again."""


class RateLimited(ApiError):
    """Raised on HTTP 429 once the allowed retries are used up. ``retry_after`` holds the
    server's advice in seconds (or ``None``)."""

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)


class ServerError(ApiError):
    """Raised on HTTP 5xx. GET and DELETE were already retried with backoff where that was safe;
    POSTs are never resent automatically."""


class AmbiguousName(AuraError):
    """Raised when a name matches several tenants or instances; ``candidates`` lists their ids.
    Pass an id instead of the name."""

    def __init__(self, message: str, *, candidates: Iterable[str] = ()) -> None:
        self.candidates = tuple(candidates)
        super().__init__(message)


class CreateResponseLost(AuraError):
    """Raised when ``POST /v1/instances`` got no answer (timeout or dropped connection).

    The create may have succeeded on the server, so it is never resent. ``instance`` is the
    `InstanceSummary` found by listing the tenant for that exact name created in the last minutes
    (or ``None``), ``name`` and ``tenant_id`` say what was asked for. The one-time password of a
    found instance could not be captured: reset it in the Aura console."""

    def __init__(self, message: str, *, name: str, tenant_id: str, instance: Any = None) -> None:
        self.name = name
        self.tenant_id = tenant_id
        self.instance = instance
        super().__init__(message)


class EarlierCreateUnresolved(AuraError):
    """Raised before anything is sent when an earlier create of the same name in the same
    tenant (any front-end, any process: `aura_nb.core.intents`) got no answer, is not listed
    yet and may still be carried out: listing the tenant within the call's time budget could
    not settle it (the grace time ``AURA_CREATE_GRACE`` had not passed, a listing failed, or
    another process is still creating that name). Try again later; ``name`` and
    ``tenant_id`` say what was asked for."""

    def __init__(self, message: str, *, name: str, tenant_id: str) -> None:
        self.name = name
        self.tenant_id = tenant_id
        super().__init__(message)


class InstanceWaitError(AuraError):
    """Base class of the waiting errors; ``instance_id``, ``status`` (last status seen, or
    ``None``) and ``target`` (the awaited status)."""

    def __init__(
        self, message: str, *, instance_id: str = "", status: str | None = None, target: str = ""
    ) -> None:
        self.instance_id = instance_id
        self.status = status
        self.target = target
        super().__init__(message)


class InstanceWaitTimeout(InstanceWaitError):
    """Raised when waiting gave up after its timeout; ``status`` is the last status seen."""


class InstanceStatusUnreachable(InstanceWaitError):
    """Raised as soon as an instance is in a state from which the awaited status cannot come
    without another action (``loading failed``, ``destroying``, gone, ``paused`` while waiting for
    ``running`` with no resume sent...), instead of waiting for the timeout."""


class WaitCancelled(InstanceWaitError):
    """Raised when the ``cancel`` event passed to a wait was set (a widget's Cancel button).
    ``ready`` maps id -> Instance for the instances a many-instance wait had seen ready."""

    def __init__(self, message: str, *, instance_id: str = "", status: str | None = None,
                 target: str = "", ready: Mapping[str, Any] | None = None) -> None:
        self.ready = dict(ready or {})
        super().__init__(message, instance_id=instance_id, status=status, target=target)


class WaitIncomplete(InstanceWaitError):
    """Raised by ``wait_for_instances`` when some instances did not reach the status.
    ``ready`` maps id -> Instance for those that did; ``failures`` maps id -> the
    `InstanceWaitError` for each that did not."""

    def __init__(self, message: str, *, ready: Mapping[str, Any], failures: Mapping[str, Any],
                 target: str = "") -> None:
        self.ready = dict(ready)
        self.failures = dict(failures)
        super().__init__(message, target=target)


class InvalidInstanceSpec(AuraError):
    """Raised before anything is sent when an `InstanceSpec` does not match the tenant's
    ``instance_configurations``; the message lists the valid choices for the offending field."""

    def __init__(self, message: str, *, field: str = "", choices: Iterable[str] = ()) -> None:
        self.field = field
        self.choices = tuple(choices)
        super().__init__(message)


class InvalidId(AuraError, ValueError):
    """Raised before anything is sent or written when an id is not of its kind's form (an
    instance id is 8 hex characters), whether a caller passed it or a server answered with it:
    ids become URL segments and vault file names, so a ``../`` in one must never reach either.
    ``kind`` names the id (``"instance id"``...), ``value`` is what was given."""

    def __init__(self, message: str, *, kind: str, value: Any) -> None:
        self.kind = kind
        self.value = value
        super().__init__(message)


class VaultError(AuraError):
    """Base class of credential-vault errors."""


class VaultEntryNotFound(VaultError, LookupError):
    """Raised when the vault holds no credentials file for the instance asked for."""


class VaultUnwritable(VaultError):
    """Raised by ``Vault.check_writable`` (and so by ``create_instance`` before it sends
    anything) when no file can be written to the vault folder: creating an instance then would
    lose its one-time password. ``directory`` is the vault folder."""

    def __init__(self, message: str, *, directory: Any) -> None:
        self.directory = directory
        super().__init__(message)


class VaultWriteFailed(VaultError):
    """Raised when the vault file could not be written after an instance was created.

    ``created`` holds the `CreatedInstance`; ``rescue_path`` is the 0600 rescue file its
    credentials were written to instead (beside the vault's intended place), or ``None`` when
    that failed too: then ``created.password`` is the only copy, and the front-end shows it once
    to the person who asked. The password is never part of the message."""

    def __init__(self, message: str, *, created: Any, rescue_path: Any = None) -> None:
        self.created = created
        self.rescue_path = rescue_path
        super().__init__(message)


# --- mapping HTTP error responses ------------------------------------------------------------

_STATUS_CLASSES: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    429: RateLimited,
}

_HINTS = {
    308: "The API moved; check AURA_BASE_URL (it must be https://api.neo4j.io for the real API)",
    405: "The project refused the create, often because its instance limit is reached",
    415: "The request needs the header Content-Type: application/json",
    420: "This action is not available for the instance's tier",
}


def parse_error_body(body: Any) -> tuple[str, list[str], str | None]:
    """Read ``(reason, messages, field)`` from any error body shape the Aura APIs use.

    Handles ``{"errors": [{"message", "reason", "field"}]}`` (v1), ``{"error": "..."}``
    (gateway), ``{"data": null, "errors": [...]}`` (sessions, empty reason), bare
    ``{"message", "reason"}`` and ``{"errors": {"field": ["msg"]}, ...}`` (v2beta1), and plain
    text. Never raises."""
    reason, messages, field = "", [], None
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        text = body.strip()
        try:
            body = json.loads(text) if text else None
        except ValueError:
            return "", ([_one_line(text)] if text else []), None
    if isinstance(body, list):  # a bare list of error objects
        body = {"errors": body}
    if not isinstance(body, dict):
        return "", ([str(body)] if body not in (None, "") else []), None

    errors = body.get("errors")
    if isinstance(errors, list):
        for item in errors:
            if isinstance(item, dict):
                reason = reason or str(item.get("reason") or "")
                field = field or (str(item["field"]) if item.get("field") else None)
                if item.get("message"):
                    messages.append(str(item["message"]))
            elif item:
                messages.append(str(item))
    elif isinstance(errors, dict):  # field-keyed validation errors
        for name, problems in errors.items():
            field = field or str(name)
            if isinstance(problems, (list, tuple)):
                messages.extend(f"{name}: {p}" for p in problems)
            else:
                messages.append(f"{name}: {problems}")
    if body.get("reason"):
        reason = reason or str(body["reason"])
    if isinstance(body.get("message"), str) and body["message"]:
        messages.insert(0, body["message"])
    error = body.get("error")
    if isinstance(error, str) and error:
        messages.append(error)
        if isinstance(body.get("error_description"), str):  # OAuth-style token errors
            messages.append(body["error_description"])
    elif isinstance(error, dict):
        messages.append(str(error.get("message") or error))
    return reason, messages, field


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header given in seconds; ``None`` when absent or
    given as an HTTP date (callers turn dates into seconds against the server's ``Date``)."""
    if not value:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        return None


def looks_like_html(body: Any, content_type: str = "") -> bool:
    """True for an HTML page (by its ``Content-Type`` or its first characters)."""
    if "html" in (content_type or "").lower():
        return True
    if isinstance(body, (bytes, bytearray)):
        body = body[:200].decode("utf-8", "replace")
    if not isinstance(body, str):
        return False
    head = body.lstrip()[:15].lower()
    return head.startswith(("<!doctype html", "<html"))


def html_page_message(status_code: int) -> str:
    """One line for an HTML page where the API's JSON was expected (never the markup)."""
    phrase = _default_message(status_code)
    if status_code >= 500:
        return (f"an HTML error page ({status_code} {phrase}) came back instead of the API's "
                "JSON: a proxy or gateway between you and the API answered; try again in a "
                "minute, or check your proxy settings")
    return (f"an HTML page ({status_code} {phrase}) came back instead of the API's JSON: "
            "something between you and the API (a captive portal, a proxy login or a wrong "
            "AURA_BASE_URL) answered; this says nothing about your credentials")


def error_for(
    status_code: int,
    body: Any,
    *,
    method: str = "",
    path: str = "",
    request_id: str | None = None,
    retry_after: float | None = None,
    content_type: str = "",
    extra_hint: str | None = None,
) -> ApiError:
    """Build (not raise) the `ApiError` subclass for an HTTP error answer.

    ``body`` may be parsed JSON, text or bytes in any documented error shape; an HTML page (by
    ``content_type`` or its first characters) becomes one line saying what it is. 5xx map to
    `ServerError`, the statuses in the house error tree to their class, anything else to
    `ApiError`. ``extra_hint`` is appended to the status's hint."""
    if looks_like_html(body, content_type):
        reason, messages, field = "", [html_page_message(status_code)], None
    else:
        reason, messages, field = parse_error_body(body)
    if not messages:
        messages = [_default_message(status_code)]
    cls = _STATUS_CLASSES.get(status_code) or (ServerError if status_code >= 500 else ApiError)
    hint = " ".join(h for h in (_HINTS.get(status_code, ""), extra_hint or "") if h)
    kwargs: dict[str, Any] = dict(
        method=method,
        path=path,
        request_id=request_id,
        field=field,
        hint=hint,
    )
    if cls is RateLimited:
        kwargs["retry_after"] = retry_after
    return cls(status_code, reason, messages, **kwargs)


def _default_message(status_code: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "HTTP error"

"""Error mapping: every status and every documented error body shape -> one clear line."""

from __future__ import annotations

import pytest

from aura_nb.core import errors
from aura_nb.core.errors import error_for, parse_error_body


@pytest.mark.parametrize("status, cls", [
    (400, errors.BadRequest), (401, errors.Unauthorized), (403, errors.Forbidden),
    (404, errors.NotFound), (409, errors.Conflict), (429, errors.RateLimited),
    (500, errors.ServerError), (502, errors.ServerError), (503, errors.ServerError),
    (504, errors.ServerError), (308, errors.ApiError), (402, errors.ApiError),
    (405, errors.ApiError), (415, errors.ApiError), (420, errors.ApiError),
])
def test_each_status_maps_to_its_class(status, cls):
    error = error_for(status, {"errors": [{"message": "m", "reason": "r"}]}, method="GET",
                      path="/v1/x")
    assert type(error) is cls
    assert isinstance(error, errors.ApiError) and isinstance(error, errors.AuraError)
    assert error.status_code == status
    assert str(error).startswith(f"{status} r: m (GET /v1/x)")


def test_standard_shape_renders_the_documented_line():
    error = error_for(404, {"errors": [{"message": "DB not found: 1a2b3c4d",
                                        "reason": "db-not-found"}]},
                      method="GET", path="/v1/instances/1a2b3c4d", request_id="8a35/1238")
    assert str(error) == ("404 db-not-found: DB not found: 1a2b3c4d "
                          "(GET /v1/instances/1a2b3c4d) [request id 8a35/1238]")
    assert error.reason == "db-not-found"
    assert error.messages == ("DB not found: 1a2b3c4d",)
    assert error.request_id == "8a35/1238"


@pytest.mark.parametrize("body, reason, messages, field", [
    ({"errors": [{"message": "bad region", "reason": "invalid", "field": "region"}]},
     "invalid", ["bad region"], "region"),
    ({"error": "Token is expired"}, "", ["Token is expired"], None),
    ({"data": None, "errors": [{"id": "", "message": "session with id `x` not found",
                                "reason": ""}]}, "", ["session with id `x` not found"], None),
    ({"message": "Not allowed", "reason": "multi-db-only"}, "multi-db-only", ["Not allowed"], None),
    ({"errors": {"name": ["is too long"]}, "message": "The request body contains validation errors",
      "reason": "validation-error"}, "validation-error",
     ["The request body contains validation errors", "name: is too long"], "name"),
    ("upstream connect error", "", ["upstream connect error"], None),
    (b'{"error": "invalid_client", "error_description": "Bad secret"}', "",
     ["invalid_client", "Bad secret"], None),
    ("", "", [], None),
    (None, "", [], None),
    ([{"message": "a", "reason": "b"}], "b", ["a"], None),
])
def test_every_body_shape_is_parsed(body, reason, messages, field):
    assert parse_error_body(body) == (reason, messages, field)


def test_several_messages_and_field_stay_on_one_line():
    error = error_for(400, {"errors": [
        {"message": "memory is not offered\nfor this region", "reason": "invalid-memory",
         "field": "memory"},
        {"message": "second problem", "reason": "other"}]}, method="POST", path="/v1/instances")
    text = str(error)
    assert "\n" not in text
    assert text == ("400 invalid-memory: memory is not offered for this region; second problem "
                    "(field memory) (POST /v1/instances)")
    assert error.field == "memory"


@pytest.mark.parametrize("page, content_type", [
    ("<html>\n<body>" + "x" * 5000 + "</body></html>", ""),
    ("  <!DOCTYPE html><title>502</title>" + "x" * 5000, ""),
    ("<h1>Bad gateway</h1>" + "x" * 5000, "text/html; charset=utf-8"),
])
def test_an_html_page_is_one_line_saying_what_it_is(page, content_type):
    text = str(error_for(502, page, method="GET", path="/v1/tenants",
                         content_type=content_type))
    assert "\n" not in text and "<" not in text and "xxx" not in text
    assert "HTML error page (502 Bad Gateway)" in text and "proxy or gateway" in text


def test_an_html_page_on_a_4xx_is_not_called_bad_credentials():
    text = str(error_for(401, "<html><body>Log in to the hotel wifi</body></html>",
                         method="POST", path="/oauth/token", content_type="text/html"))
    assert "captive portal" in text and "nothing about your credentials" in text
    assert "wifi" not in text


def test_plain_text_bodies_are_cut_short_and_flattened():
    text = str(error_for(502, "upstream\n" + "x" * 5000, method="GET", path="/v1/tenants"))
    assert "\n" not in text and len(text) < 400
    assert text.startswith("502: upstream xxx")


def test_empty_body_falls_back_to_the_http_phrase_and_hints_help():
    assert str(error_for(503, None, method="GET", path="/v1/tenants")) == \
        "503: Service Unavailable (GET /v1/tenants)"
    assert "Content-Type: application/json" in str(error_for(415, {"error": "x"}))
    assert "instance limit" in str(error_for(405, {}))


def test_rate_limited_keeps_retry_after():
    error = error_for(429, {"error": "slow down"}, retry_after=7.0)
    assert isinstance(error, errors.RateLimited) and error.retry_after == 7.0


def test_local_lookup_errors_fit_the_tree():
    error = errors.NameNotFound("no tenant is named 'X'; this client sees: 'A'", candidates=["A"])
    assert isinstance(error, errors.NotFound)
    assert str(error) == "no tenant is named 'X'; this client sees: 'A'"
    assert error.candidates == ("A",)
    ambiguous = errors.AmbiguousName("2 instances are named 'db'", candidates=["a", "b"])
    assert ambiguous.candidates == ("a", "b")


def test_wait_errors_carry_the_last_status():
    error = errors.InstanceWaitTimeout("gave up", instance_id="1a2b3c4d", status="creating",
                                       target="running")
    assert isinstance(error, errors.InstanceWaitError)
    assert (error.instance_id, error.status, error.target) == ("1a2b3c4d", "creating", "running")


def test_error_line_is_the_one_line_every_front_end_shows():
    """Forms, magics and the notebook layer all show errors through errors.error_line (#21)."""
    from aura_nb.core.errors import NotFound, error_line
    from aura_nb.teaching import lesson
    from aura_nb.widgets.base import error_line as form_line

    kit = NotFound("404 db-not-found: DB not found: 1a2b3c4d (GET /v1/instances/1a2b3c4d)")
    assert error_line(kit) == str(kit)
    assert error_line(kit, named=True) == f"NotFound: {kit}"
    assert error_line(ValueError("first\n  second")) == "Unexpected ValueError: first second"
    assert error_line(KeyError()) == "Unexpected KeyError"
    assert error_line(errors.AuraError()) == "AuraError"
    assert error_line(errors.AuraError("x" * 50), limit=10) == "x" * 9 + "…"
    assert form_line(kit) == error_line(kit)
    assert lesson.one_line(kit) == f"NotFound: {kit} {lesson.TB_HINT}"

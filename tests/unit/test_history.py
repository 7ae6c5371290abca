"""History: redaction at record time and curl rendering with placeholders."""

from __future__ import annotations

from aura_nb.core.history import Exchange, History, body_for_record, redact, select_headers


def test_redact_replaces_secret_values_at_any_depth():
    data = {"data": {"id": "x", "password": "pw1", "nested": [{"access_token": "tok"}]},
            "client_secret": "cs", "name": "keep", "password_hint": "keep too", "token": ""}
    assert redact(data) == {
        "data": {"id": "x", "password": "<redacted>", "nested": [{"access_token": "<redacted>"}]},
        "client_secret": "<redacted>", "name": "keep", "password_hint": "keep too", "token": ""}


def test_headers_keep_the_scheme_only():
    headers = select_headers({"authorization": "Bearer abc.def", "Content-Type": "x/y",
                              "Cookie": "c=1", "X-Other": "no"}, ("Authorization", "Content-Type"))
    assert headers == {"Authorization": "Bearer <redacted>", "Content-Type": "x/y"}
    assert select_headers({"Authorization": "Basic dXNlcjpwdw=="}, ("Authorization",)) == \
        {"Authorization": "Basic <redacted>"}


def test_bodies_are_parsed_and_redacted():
    assert body_for_record(b'{"access_token": "t", "expires_in": 3600}', "application/json") == \
        {"access_token": "<redacted>", "expires_in": 3600}
    assert body_for_record("grant_type=client_credentials&client_secret=s",
                           "application/x-www-form-urlencoded") == \
        {"grant_type": "client_credentials", "client_secret": "<redacted>"}
    assert body_for_record(b"", "") is None
    assert body_for_record(b"plain text", "text/plain") == "plain text"


def test_curl_for_an_api_call_uses_the_token_placeholder():
    exchange = Exchange("POST", "https://api.neo4j.io/v1/instances", 202,
                        {"Authorization": "Bearer <redacted>", "Content-Type": "application/json"},
                        {"name": "it's mine", "memory": "2GB"})
    assert exchange.as_curl() == (
        "curl -X POST https://api.neo4j.io/v1/instances -H \"Authorization: Bearer $AURA_TOKEN\" "
        "-H 'Content-Type: application/json' -d '{\"name\": \"it'\"'\"'s mine\", \"memory\": \"2GB\"}'")


def test_curl_for_the_token_request_uses_credential_placeholders():
    exchange = Exchange("POST", "https://api.neo4j.io/oauth/token", 200,
                        {"Authorization": "Basic <redacted>",
                         "Content-Type": "application/x-www-form-urlencoded"},
                        {"grant_type": "client_credentials"},
                        response_body={"access_token": "<redacted>"})
    assert exchange.as_curl() == (
        "curl -X POST https://api.neo4j.io/oauth/token -u \"$AURA_CLIENT_ID:$AURA_CLIENT_SECRET\" "
        "-H 'Content-Type: application/x-www-form-urlencoded' -d grant_type=client_credentials")
    assert exchange.is_token_request


def test_history_keeps_the_last_n_and_indexes_like_a_list():
    history = History(3)
    for i in range(5):
        history.append(Exchange("GET", f"https://h/v1/{i}", 200))
    assert len(history) == 3
    assert history[-1].url.endswith("/4") and history[0].url.endswith("/2")
    assert [e.url[-1] for e in history] == ["2", "3", "4"]
    assert "3 of the last 3" in repr(history)
    assert history._repr_html_().count("<tr>") == 4
    history.clear()
    assert len(history) == 0


def test_failed_exchange_renders_without_status():
    exchange = Exchange("GET", "https://h/v1/tenants", None, error="timed out")
    assert "no answer" in repr(exchange) and "timed out" in str(exchange)


def test_one_renderer_gives_the_full_cell_and_brief_forms():
    """print(exchange), the notebook layer and %aura http render through exchange_lines (#21)."""
    import pytest

    from aura_nb.core.history import exchange_lines, folded_html, pre_html
    from aura_nb.magics.results import HttpLog
    from aura_nb.teaching import lesson

    exchange = Exchange("POST", "http://127.0.0.1:1/v1/instances?x=1", 202,
                        {"Content-Type": "application/json"}, {"name": "a<b"},
                        {"X-Request-Id": "r-1", "Date": "today"}, {"data": {"id": "ab12cd34"}},
                        elapsed=0.0123)
    assert exchange_lines(exchange, "full")[0] == "POST http://127.0.0.1:1/v1/instances?x=1"
    assert "-> 202 in 12 ms" in exchange_lines(exchange, "full")
    assert exchange_lines(exchange, "cell") == [
        "POST /v1/instances?x=1 -> 202", "  request headers:",
        "    Content-Type: application/json", "  request body (JSON):", '    {"name": "a<b"}',
        "  response headers:", "    X-Request-Id: r-1", "  response body:",
        '    {"data": {"id": "ab12cd34"}}']
    assert exchange_lines(exchange, "brief")[:3] == [
        "POST http://127.0.0.1:1/v1/instances?x=1 -> 202 in 12 ms [request id r-1]",
        '  sent:     {"name": "a<b"}', '  received: {"data": {"id": "ab12cd34"}}']
    assert str(exchange) == "\n".join(exchange_lines(exchange))
    assert lesson.exchange_lines(exchange) == exchange_lines(exchange, "cell")
    assert str(HttpLog([exchange])) == "\n".join(exchange_lines(exchange, "brief"))
    assert exchange._repr_html_() == pre_html(str(exchange)) and "a&lt;b" in pre_html("a<b")
    assert "<summary><code>POST /v1/instances?x=1 -&gt; 202</code></summary>" in \
        folded_html("T:", [exchange_lines(exchange, "cell")])
    with pytest.raises(ValueError, match="unknown form 'short'"):
        exchange_lines(exchange, "short")


def test_the_cell_form_shows_a_whole_exchange_with_labelled_headers_and_masked_secrets():
    """#18: request headers (Authorization masked, Content-Type), the body as sent (form or
    JSON), then the response headers, each under its own label, in text and in HTML."""
    from aura_nb.core.history import exchange_lines, folded_html, select_headers, REQUEST_HEADERS

    sent = select_headers({"Authorization": "Basic c2VjcmV0OnNlY3JldA==", "Accept": "*/*",
                           "Content-Type": "application/x-www-form-urlencoded"}, REQUEST_HEADERS)
    token = Exchange("POST", "http://127.0.0.1:1/oauth/token", 200, sent,
                     body_for_record(b"grant_type=client_credentials",
                                     "application/x-www-form-urlencoded"),
                     {"Content-Type": "application/json", "X-Request-Id": "r-1"},
                     redact({"access_token": "eyJ.secret.jwt", "expires_in": 3600}))
    assert exchange_lines(token, "cell") == [
        "POST /oauth/token -> 200",
        "  request headers:",
        "    Authorization: Basic <redacted>",
        "    Content-Type: application/x-www-form-urlencoded",
        "  request body (form): grant_type=client_credentials",
        "  response headers:",
        "    Content-Type: application/json",
        "    X-Request-Id: r-1",
        "  response body:",
        '    {"access_token": "<redacted>", "expires_in": 3600}']
    create = Exchange("POST", "http://127.0.0.1:1/v1/instances", 202,
                      select_headers({"authorization": "Bearer eyJ.secret.jwt",
                                      "content-type": "application/json"}, REQUEST_HEADERS),
                      {"name": "nb"}, {"Content-Type": "application/json"},
                      redact({"data": {"id": "ab12cd34", "password": "hunter2"}}))
    lines = exchange_lines(create, "cell")
    assert lines[:6] == ["POST /v1/instances -> 202", "  request headers:",
                         "    Authorization: Bearer <redacted>",
                         "    Content-Type: application/json", "  request body (JSON):",
                         '    {"name": "nb"}']
    assert lines[6:8] == ["  response headers:", "    Content-Type: application/json"]
    html_text = folded_html("T:", [exchange_lines(token, "cell"), lines])
    assert "    Authorization: Bearer &lt;redacted&gt;" in html_text
    assert "  request headers:" in html_text and "  response headers:" in html_text
    for secret in ("c2VjcmV0OnNlY3JldA==", "eyJ.secret.jwt", "hunter2"):
        assert secret not in "\n".join(exchange_lines(token, "cell") + lines) + html_text


def test_the_cell_form_shows_a_few_configurations_and_counts_the_rest():
    from aura_nb.core.history import exchange_lines

    configurations = [{"type": "professional-db", "memory": f"{2 ** i}GB"} for i in range(1, 11)]
    body = {"data": {"id": "t1", "name": "Learning Project", "instance_configurations": configurations}}
    lines = exchange_lines(Exchange("GET", "http://h/v1/tenants/t1", 200, response_body=body), "cell")
    text = "\n".join(lines)
    assert '"memory": "2GB"' in text and '"memory": "8GB"' in text and '"memory": "16GB"' not in text
    assert "… 7 more configurations (10 in all)" in text
    assert "more lines" not in text
    assert len(body["data"]["instance_configurations"]) == 10  # the record itself is kept whole


def test_a_tenants_configurations_show_one_row_each():
    from aura_nb.core.history import exchange_lines

    row = {"region": "europe-west1", "region_name": "Belgium (europe-west1)", "type": "professional-db",
           "memory": "2GB", "storage": "4GB", "version": "5", "cloud_provider": "gcp", "padding": "x" * 60}
    body = {"data": {"id": "t1", "instance_configurations": [row] * 5}}
    lines = exchange_lines(Exchange("GET", "http://h/v1/tenants/t1", 200, response_body=body), "cell")
    assert sum('"type": "professional-db"' in line for line in lines) == 3  # three rows, one line each
    assert not any(line.strip() == '"type": "professional-db",' for line in lines)

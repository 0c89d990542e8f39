"""Two renderings from one command text."""

from __future__ import annotations

from faqkb import placeholders as ph


def test_page_and_run_renderings() -> None:
    text = "openssl rsa -in a.key {{ live: -passin pass:secret }} -out b.key && curl {{ url }}"
    assert ph.for_page(text) == "openssl rsa -in a.key -out b.key && curl https://localhost/"
    live = ph.for_run(text, {"url": "https://localhost:4000/"})
    assert live == "openssl rsa -in a.key -passin pass:secret -out b.key && curl https://localhost:4000/"


def test_show_only_and_glued_live() -> None:
    text = "echo {{ show: '<type it>' }}{{ live: secret}}x"
    assert ph.for_page(text) == "echo '<type it>'x"
    assert ph.for_run(text, {}) == "echo secretx"


def test_live_values_are_shell_quoted() -> None:
    assert ph.for_run("cat {{ cafile }}", {"cafile": "/tmp/a b/ca.crt"}) == "cat '/tmp/a b/ca.crt'"


def test_unknown_names_and_plain_http_display() -> None:
    assert ph.unknown_names("{{ server }} {{ sever }}") == ["sever"]
    assert ph.for_page("curl {{ url }}", ph.PLAIN_HTTP_NAMES) == "curl http://localhost/"


def test_jinja_syntax_is_inert() -> None:
    text = "echo '{% raw %}' {# not a comment #}"
    assert ph.for_page(text) == text
    assert ph.for_run(text, {}) == text

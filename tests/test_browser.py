"""The built site in a real headless browser (Debian's Chromium): pages render, old links land."""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator

import pytest

from tests.kbutil import VerifiedKb, copy_tree, run_faqkb

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make test installs it)")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, verified_kb: VerifiedKb) -> Iterator[str]:
    """The real knowledge base built with `faqkb build`, served on 127.0.0.1.

    Built in its own copy of the session's verified KB, whose results it reuses."""
    project = copy_tree(verified_kb.path, tmp_path_factory.mktemp("site") / "kb")
    built = run_faqkb(project, "build", home=tmp_path_factory.mktemp("home"), timeout=900)
    assert built.returncode == 0, built.stderr[-5000:]
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(project / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def dom(url: str) -> str:
    """The page's DOM after its scripts ran, as Chromium sees it."""
    with tempfile.TemporaryDirectory(prefix="faqkb-chromium-") as profile:
        out = subprocess.run(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", "--virtual-time-budget=5000",
             "--dump-dom", url],
            capture_output=True, text=True, timeout=120, check=True, start_new_session=True)
    return out.stdout


def test_entry_page_renders_verified_commands(site: str) -> None:
    page = dom(f"{site}/faq/protocol/")
    assert "<title>The SSL/TLS protocol - The mod_ssl FAQ, verified</title>" in page
    assert 'id="cipher-shared"' in page
    assert "no shared cipher" in page
    assert re.search(r"Verified: exit 0 · [^<]*server scenario <code>", page)


def test_old_anchor_lands_on_todays_entry(site: str) -> None:
    page = dom(f"{site}/ssl_faq.html#pemder")
    assert "<title>Certificates - The mod_ssl FAQ, verified</title>" in page
    assert 'id="pem-to-der"' in page

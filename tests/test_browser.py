"""The built site in a real headless browser (Debian's Chromium): pages render, old links land."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kbutil import copy_real_kb

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make test installs it)")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real knowledge base built with `faqkb build`, served on 127.0.0.1."""
    project = copy_real_kb(tmp_path_factory.mktemp("kb"))
    cache = Path(__file__).resolve().parent.parent / ".faqkb-cache"
    if cache.is_dir():  # verified results of this checkout, if any: saves re-running them
        shutil.copytree(cache, project / ".faqkb-cache")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    subprocess.run([sys.executable, "-m", "faqkb", "build"], cwd=project, env=env, check=True,
                   capture_output=True, timeout=900)
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
    assert "Verified against the reference server" in page


def test_old_anchor_lands_on_todays_entry(site: str) -> None:
    page = dom(f"{site}/ssl_faq.html#pemder")
    assert "<title>Certificates - The mod_ssl FAQ, verified</title>" in page
    assert 'id="pem-to-der"' in page

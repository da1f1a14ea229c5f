"""The Predict page in a real browser: Debian's chromium (Playwright) against ``streamlit run app.py``.

Loads the example, predicts, sees per sequence its bar chart and its attention track, follows a card's link to the
Motifs page on that sequence, opens a page by direct link, downloads the CSV and checks its header, opens every
page, proves that a FASTA header carrying HTML/JavaScript is shown inert, and that the page never asks another
host for anything. Screenshots go to a temporary directory (``MIRLOC_SCREENSHOTS`` keeps them somewhere else).
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from urllib.parse import urlparse

import pytest

from benchmarks.app_server import BARS_READY_JS, launch_browser, wait_idle

pytestmark = pytest.mark.browser

PAGES = {"Motifs": "Attention on", "Network explorer": "Neighbourhood graph", "Case studies": "In the network",
         "Structure": "MFE", "About / model card": "Accuracy by evidence level"}
XSS_FASTA = """><img src=x onerror="window.__pwned=1">
UAGCUUAUCAGACUGAUGUUGA
><script>window.__pwned=2</script>
UGGAGUGUGACAAUGGUGUUUG
"""


def test_app_in_a_real_browser(server, tmp_path):
    from playwright.sync_api import sync_playwright

    from mirloc_core.results import CSV_COLUMNS

    shots = Path(os.environ.get("MIRLOC_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1800}, accept_downloads=True)
            page.set_default_timeout(90_000)
            hosts = set()  # every host the page asks for anything: only the app's own
            page.on("request", lambda request: hosts.add(urlparse(request.url).netloc))
            page.goto(server)
            area = page.locator(".st-key-fasta_input textarea")
            area.wait_for()
            page.get_by_role("button", name="Load example").click()
            page.wait_for_function("() => (document.querySelector('.st-key-fasta_input textarea') || {value: ''})"
                                   ".value.includes('hsa-miR-122-5p')")
            assert area.input_value().count(">") == 4
            page.get_by_role("button", name="Predict", exact=True).click()
            ids = ["hsa-miR-21-5p", "hsa-miR-122-5p", "hsa-miR-29b-3p", "hsa-mir-21"]
            page.wait_for_function(BARS_READY_JS, arg=[ids])
            # per card: the probability bars and the attention track over the nucleotides
            assert page.locator('[data-testid="stMain"] .js-plotly-plot:has(.barlayer)').count() == 4
            assert page.locator('[data-testid="stMain"] .js-plotly-plot:has(.heatmaplayer)').count() == 4
            assert page.get_by_role("link", name="Motifs of this sequence").count() == 4
            assert page.get_by_text("threshold 0.5").count() == 4
            wait_idle(page)
            page.screenshot(path=str(shots / "predict.png"), full_page=True)

            with page.expect_download() as download_info:
                page.get_by_role("button", name="Download CSV").click()
            text = Path(download_info.value.path()).read_text()
            rows = list(csv.reader(io.StringIO(text)))
            assert rows[0] == CSV_COLUMNS
            assert [r[0] for r in rows[1:]] == ids

            # a result card's link opens the Motifs page on that sequence
            page.get_by_role("link", name="Motifs of this sequence").nth(1).click()
            page.get_by_text("Attention on").first.wait_for()
            wait_idle(page)
            assert page.locator('[data-testid="stSelectbox"] input').first.input_value() == ids[1]
            assert page.locator('[role="dialog"]').count() == 0
            page.goto(server + "/structure")  # a direct link to a page works too
            page.get_by_text("MFE").first.wait_for()
            wait_idle(page)
            assert page.locator('[role="dialog"]').count() == 0
            page.goto(server)
            page.get_by_text("Predict").first.wait_for()

            for title, marker in PAGES.items():
                page.locator('[data-testid="stSidebarNav"] a', has_text=title).click()
                page.get_by_text(marker).first.wait_for()
                if title == "Structure":
                    frame = page.frame_locator("iframe").first
                    frame.locator("#viewer canvas").first.wait_for()
                    page.wait_for_function("() => Array.from(document.querySelectorAll('iframe'))"
                                           ".some(f => f.contentWindow && f.contentWindow.__mirlocViewerReady)")
                wait_idle(page)
                page.screenshot(path=str(shots / f"{title.split()[0].lower()}.png"), full_page=True)
                exceptions = page.locator('[data-testid="stException"]').count()
                assert exceptions == 0, f"{title} shows an exception"

            # hostile FASTA headers are shown as text, never executed
            page.locator('[data-testid="stSidebarNav"] a', has_text="Predict").click()
            area = page.locator(".st-key-fasta_input textarea")
            area.fill(XSS_FASTA)
            area.press("Control+Enter")  # the keyboard submits the form too (Predict, its first button)
            page.get_by_text("<img", exact=False).first.wait_for()
            page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stMain\"] .js-plotly-plot').length === 4")
            wait_idle(page)
            assert page.evaluate("typeof window.__pwned") == "undefined"
            assert page.locator('[data-testid="stMain"] img[src="x"]').count() == 0
            page.screenshot(path=str(shots / "hostile_header.png"), full_page=True)
            icon = page.locator('link[rel="shortcut icon"], link[rel="icon"]').first.get_attribute("href")
            assert icon and not icon.startswith("http") or urlparse(icon).netloc == urlparse(server).netloc, icon
            assert hosts == {urlparse(server).netloc}, hosts
        finally:
            browser.close()
    assert len(list(shots.glob("*.png"))) == 7

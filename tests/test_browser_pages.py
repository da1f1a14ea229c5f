"""Real-browser scenarios (Debian's chromium via Playwright), one per page of issue 14's page slice: what a user
must see on Motifs, Network explorer, Case studies and Structure. One ``streamlit run app.py`` server is shared by
the module; each page is opened by its URL; screenshots are test artefacts in ``MIRLOC_SCREENSHOTS`` (else a
temporary directory)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.app_server import launch_browser, wait_idle

pytestmark = pytest.mark.browser
MIR21_PRECURSOR = "UGUCGGGUAGCUUAUCAGACUGAUGUUGACUGUUGAAUCUCAUGGCAACACCAGUCGAUGGGCUGUCUGACA"


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    path = Path(os.environ.get("MIRLOC_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_browser(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.set_default_timeout(60_000)
    yield page
    assert page.locator('[data-testid="stException"]').count() == 0, "the page shows an exception"
    page.close()


def _main(page):
    return page.locator('[data-testid="stMain"]')


def _open(page, server, title):
    """Open a page as a user does: the app's start page, then the sidebar link."""
    page.goto(server)
    page.locator('[data-testid="stSidebarNav"] a', has_text="Predict").wait_for()  # the app's router is up
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).click()


def test_motifs_page_in_a_browser(server, page, shots):
    _open(page, server, "Motifs")
    main = _main(page)
    main.get_by_text("What was and was not recovered").first.wait_for()
    main.get_by_text("1 = flat (uniform)").first.wait_for()  # the attention track is relative to uniform
    wait_idle(page)
    text = main.inner_text()
    assert text.index("What was and was not recovered") < text.index("Attention on")  # said first
    assert "AGUGUU" in text and "E-value of a GLAM2 motif" in text
    logos = main.locator('[data-testid="stImage"] img')
    assert logos.count() >= 1 and "best-matching known motif" in text  # known logo aligned under a derived one
    assert logos.first.evaluate("img => img.naturalHeight > 150")  # two stacked logos, not one
    page.screenshot(path=str(shots / "motifs_page.png"), full_page=True)
    logos.first.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "motifs_logos.png"))


def test_network_explorer_resolves_a_mature_name(server, page, shots):
    _open(page, server, "Network explorer")
    box = page.locator(".st-key-explorer_search input")
    box.fill("hsa-miR-21-5p")
    box.press("Enter")
    main = _main(page)
    main.get_by_text("Resolved: mature hsa-miR-21-5p").first.wait_for()
    page.locator('[data-testid="stHeadingWithActionElements"]', has_text="hsa-mir-21").first.wait_for()
    wait_idle(page)
    graph = main.locator(".js-plotly-plot").first
    for legend in ("by sequence", "by embedding", "selected miRNA"):
        assert graph.get_by_text(legend).count() >= 1
    assert graph.locator(".textpoint").count() == 0  # no overlapping node labels: names on hover
    assert "most above base rate" in main.inner_text()
    page.screenshot(path=str(shots / "explorer_page.png"), full_page=True)
    slider = page.locator('[data-testid="stSlider"] input[type=range]', has=None).first
    slider.focus()
    page.keyboard.press("End")  # k = 15: the graph must stay readable
    main.get_by_text("by sequence (15)").first.wait_for()
    wait_idle(page)
    assert graph.locator(".textpoint").count() == 0
    graph.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "explorer_k15.png"))


GRID_HEIGHT_JS = """(expected) => {
    const grid = document.querySelector('[data-testid="stMain"] [data-testid="stDataFrame"]');
    return grid && Math.abs(grid.getBoundingClientRect().height - expected) < 12;
}"""


def test_case_studies_explain_nucleolus(server, page, shots):
    from playwright.sync_api import expect

    _open(page, server, "Case studies")
    main = _main(page)
    main.get_by_text("In the network").first.wait_for()
    main.get_by_text("carry nucleolus").first.wait_for()
    wait_idle(page)
    grid = main.locator('[data-testid="stDataFrame"]').first
    page.wait_for_function(GRID_HEIGHT_JS, arg=35 * 36 + 3)  # header + 35 rows, no empty last row
    grid.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "case_studies_all.png"))
    page.locator(".st-key-case_compartment button", has_text="Nucleolus").click()
    main.get_by_text("carry nucleolus").first.wait_for()
    wait_idle(page)
    metric = main.locator('[data-testid="stMetric"]', has_text="Pairs")
    expect(metric.locator('[data-testid="stMetricValue"]')).to_have_text("5")  # the metrics follow the filter
    page.wait_for_function(GRID_HEIGHT_JS, arg=35 * 6 + 3)  # header + 5 rows, no empty last row
    page.screenshot(path=str(shots / "case_studies_page.png"), full_page=True)


def test_structure_page_marks_the_mature(server, page, shots):
    _open(page, server, "Structure")
    main = _main(page)
    main.get_by_text("hsa-miR-29b-3p at 1–23").first.wait_for()
    main.get_by_text("Colour legend (both views)").first.wait_for()
    page.frame_locator("iframe").first.locator("#viewer canvas").first.wait_for()
    page.wait_for_function("() => Array.from(document.querySelectorAll('iframe'))"
                           ".some(f => f.contentWindow && f.contentWindow.__mirlocViewerReady)")
    wait_idle(page)
    assert main.get_by_text("mature hsa-miR-29b-3p (1–23)").count() >= 1  # the 2D legend entry
    assert main.locator(".js-plotly-plot").count() == 2  # one colour legend for both views, and the 2D layout
    page.screenshot(path=str(shots / "structure_page.png"), full_page=True)
    page.frame_locator("iframe").first.locator("#viewer").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "structure_3d.png"))
    # a 72-nt precursor pasted by the user: both matures found in miRBase and marked
    page.locator(".st-key-structure_choice").click()
    page.get_by_role("option", name="Enter a sequence…").click()
    box = page.locator(".st-key-structure_text input")
    box.fill(MIR21_PRECURSOR)
    box.press("Enter")
    main.get_by_text("hsa-miR-21-5p at 8–29").first.wait_for()
    wait_idle(page)
    assert main.get_by_text("mature hsa-miR-21-3p").count() >= 1
    main.locator(".js-plotly-plot").nth(1).scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "structure_precursor.png"))

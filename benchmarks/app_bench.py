"""App benchmark in a real browser (Debian's chromium through Playwright) against ``streamlit run app.py``.

Measures
--------
cold start
    From launching the ``streamlit run`` process to the first interactive Predict page (the text box and the
    *Predict* button shown and enabled) in an already running browser; also the time until the models are
    loaded (the sidebar shows the device, which it does after loading them). Repeated ``--cold`` times, each
    with a fresh server process.
predict 10 (warm)
    In a warm server and page: from the click on *Predict* to all ten result cards showing their drawn
    7-bar charts, for ten real miRBase 22 human miRNAs. The first click warms up and is not counted; each
    timed repetition uses new record ids so that the page must really re-render.

Usage::

    python benchmarks/app_bench.py [--cold 3] [--repeats 5]

Writes ``benchmarks/results/app_bench.json`` and merges ``app_cold_start_seconds`` and
``app_predict10_seconds`` (medians) into ``benchmarks/results/summary.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.app_server import (BARS_READY_JS, free_port, launch_browser,  # noqa: E402
                                   start_server, stop_server, wait_healthy)
from mirloc_core.io import artifacts
from mirloc_core import config  # noqa: E402

GOALS = {"app_cold_start_seconds": 5.0, "app_predict10_seconds": 1.0}


def ten_mirnas() -> list[tuple[str, str]]:
    """Ten real human mature miRNAs (miRBase 22), read from the shared data, else the bundled example."""
    from mirloc_core.io.submission import example_fasta, read_submission

    if config.data_available():
        from mirloc_core.io.data import load_mirbase

        mature = load_mirbase("mature", "hsa")
        names = ["hsa-let-7a-5p", "hsa-miR-1-3p", "hsa-miR-16-5p", "hsa-miR-21-5p", "hsa-miR-29b-3p",
                 "hsa-miR-122-5p", "hsa-miR-126-3p", "hsa-miR-155-5p", "hsa-miR-223-3p", "hsa-miR-375-3p"]
        return [(n, mature[n]) for n in names]
    records = read_submission(example_fasta())
    return [(f"{r.id}_{k}", r.sequence) for k in range(3) for r in records][:10]


def _load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def _contention_note(before: list[float], after: list[float]) -> str:
    if before and max(before[0], (after or [0])[0]) > 1.0:
        return (f"load average {before[0]} at the start and {(after or ['?'])[0]} at the end on {os.cpu_count()} "
                "cores (the 1-minute average counts this benchmark's own server and browser, and any job that ran "
                "shortly before)")
    return ""


def measure_cold(browser, log_dir: Path, timeout: float = 120.0) -> dict:
    """One cold start: server process launch → first interactive Predict page."""
    port = free_port()
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    start = time.perf_counter()
    process = start_server(port, log_path=log_dir / f"cold_{port}.log")
    try:
        healthy = wait_healthy(port, timeout=timeout, process=process)
        page.goto(f"http://127.0.0.1:{port}/", timeout=timeout * 1000)
        button = page.get_by_role("button", name="Predict", exact=True)
        button.wait_for(timeout=timeout * 1000)
        page.wait_for_function("() => { const b = Array.from(document.querySelectorAll('button'))"
                               ".find(x => x.innerText.trim() === 'Predict'); return b && !b.disabled; }",
                               timeout=timeout * 1000)
        total = time.perf_counter() - start
        page.locator('[data-testid="stSidebar"]').get_by_text("Device:").wait_for(timeout=timeout * 1000)
        models = time.perf_counter() - start
    finally:
        page.close()
        stop_server(process)
    return {"seconds": round(total, 3), "server_healthy_seconds": round(healthy, 3),
            "models_loaded_seconds": round(models, 3)}


def measure_predict(browser, repeats: int, log_dir: Path, timeout: float = 120.0) -> dict:
    """Warm server and page: Predict click → all ten bar charts drawn."""
    port = free_port()
    process = start_server(port, log_path=log_dir / f"warm_{port}.log")
    records = ten_mirnas()
    times = []
    try:
        wait_healthy(port, timeout=timeout, process=process)
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        page.set_default_timeout(timeout * 1000)
        page.goto(f"http://127.0.0.1:{port}/")
        page.get_by_role("button", name="Predict", exact=True).wait_for()
        for rep in range(repeats + 1):
            ids = [f"r{rep}_{name}" for name, _ in records]
            fasta = "".join(f">{i}\n{seq}\n" for i, (_, seq) in zip(ids, records))
            page.locator(".st-key-fasta_input textarea").fill(fasta)  # sent with the click (one form)
            button = page.get_by_role("button", name="Predict", exact=True)
            start = time.perf_counter()
            button.click()
            page.wait_for_function(BARS_READY_JS, arg=[ids], polling="raf")
            elapsed = time.perf_counter() - start
            if rep > 0:  # the first click is the warm-up
                times.append(round(elapsed, 3))
        page.close()
    finally:
        stop_server(process)
    return {"seconds": times, "n_sequences": len(records), "records": [n for n, _ in records]}


def doc_section(result: dict) -> str:
    """The ``app`` section of ``docs/benchmarks.md``, generated from the JSON result."""
    cold, warm = result["cold_start"], result["predict10_warm"]
    load = result["machine"].get("load_average_before") or ["?"]
    lines = [
        "## App (real browser: Debian chromium via Playwright, `streamlit run app.py`)",
        "",
        f"Command: `{result['command']}` · {result['date']} · {result['machine']['cores']} cores"
        + (f", {result['machine']['cpu']}" if result["machine"].get("cpu") else "")
        + f", load average {load[0]} at the start.",
        "",
        "| measure | median (s) | mean ± std (s) | runs | goal (s) |",
        "|---|---|---|---|---|",
        f"| server start → first interactive Predict page | {cold['median']} | {cold['mean']} ± {cold['std']} | "
        f"{len(cold['runs'])} | ≤ {GOALS['app_cold_start_seconds']} |",
        f"| server start → models loaded | {cold['models_loaded_median']} | | {len(cold['runs'])} | |",
        f"| Predict click → 10 bar charts drawn (warm) | {warm['median']} | {warm['mean']} ± {warm['std']} | "
        f"{len(warm['seconds'])} | ≤ {GOALS['app_predict10_seconds']} |",
    ]
    if result.get("note"):
        lines += ["", f"Note: {result['note']}."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cold", type=int, default=3, help="cold starts (a fresh server each)")
    parser.add_argument("--repeats", type=int, default=5, help="timed warm predictions of 10 sequences")
    parser.add_argument("--note", default="", help="free text stored in the JSON (e.g. machine load)")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    log_dir = config.cache_dir() / "app_bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    load_before = _load_average()
    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        try:
            colds = [measure_cold(browser, log_dir) for _ in range(args.cold)]
            warm = measure_predict(browser, args.repeats, log_dir)
        finally:
            browser.close()
    cold_s = [c["seconds"] for c in colds]
    result = {
        "benchmark": "app_bench",
        "command": "python " + " ".join(sys.argv) if sys.argv[0].endswith("app_bench.py")
        else "python benchmarks/app_bench.py",
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "goals_seconds": GOALS,
        "cold_start": {"runs": colds, "median": round(statistics.median(cold_s), 3),
                       "mean": round(statistics.mean(cold_s), 3),
                       "std": round(statistics.stdev(cold_s), 3) if len(cold_s) > 1 else 0.0,
                       "models_loaded_median": round(statistics.median(c["models_loaded_seconds"] for c in colds), 3),
                       "definition": "streamlit run launched -> Predict page interactive (text box and Predict "
                                     "button enabled) in chromium; models_loaded_seconds: until the models are "
                                     "loaded (sidebar shows the device)"},
        "predict10_warm": {**warm, "median": round(statistics.median(warm["seconds"]), 3),
                           "mean": round(statistics.mean(warm["seconds"]), 3),
                           "std": round(statistics.stdev(warm["seconds"]), 3) if len(warm["seconds"]) > 1 else 0.0,
                           "definition": "Predict click -> 10 result cards with drawn 7-bar charts (warm server)"},
        "browser": "Debian chromium (headless) via Playwright",
        "machine": {"cores": os.cpu_count(), "cpu": artifacts.cpu_description(), "platform": platform.platform(),
                    "python": platform.python_version(), "load_average_before": load_before,
                    "load_average_after": _load_average()},
        "note": args.note or _contention_note(load_before, _load_average()),
    }
    out = config.results_dir() / "app_bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    artifacts.merge_summary({"app_cold_start_seconds": result["cold_start"]["median"],
                             "app_predict10_seconds": result["predict10_warm"]["median"]})
    artifacts.update_doc_section(config.REPO_ROOT / "docs" / "benchmarks.md", "app", doc_section(result))
    print(json.dumps({"cold_start_median": result["cold_start"]["median"],
                      "predict10_median": result["predict10_warm"]["median"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

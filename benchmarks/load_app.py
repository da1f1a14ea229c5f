"""Load test: many concurrent browser sessions against one local ``streamlit run app.py`` server.

``--sessions`` Playwright contexts in Debian's chromium (default 20), all at once, each submitting ten real
miRBase 22 human miRNAs ``--rounds`` times (default 5) with ids unique to the session and round. Checks:

* errors: a round that does not show exactly its own ten result cards (in order, each with a drawn 7-bar chart)
  within the time limit, or an exception text on the page;
* no cross-talk: every session sees its own ids only, and in its last round it downloads the CSV and compares
  every probability with the core :class:`~mirloc_core.predict.Predictor` run in this process;
* latency: click → all ten bar charts drawn, p50 / p95 over all requests;
* memory: the server's RSS (with children) after warm-up, after the load phase, and after a second identical
  phase: memory must not keep growing with the number of requests.

Only loopback traffic; bounded in count and time. Usage::

    python benchmarks/load_app.py [--sessions 20] [--rounds 5]

Writes ``benchmarks/results/load_app.json`` and merges ``load_sessions``, ``load_errors`` and
``load_p95_seconds`` into ``benchmarks/results/summary.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.app_server import (BARS_READY_JS, CHROMIUM, CHROMIUM_ARGS, free_port, start_server,  # noqa: E402
                                   stop_server, wait_healthy)
from mirloc_core.io import artifacts
from mirloc_core import config
from mirloc_core.io import data  # noqa: E402
from mirloc_core.io.fasta import parse_fasta, to_fasta  # noqa: E402


def session_sequences(sessions: int, per_session: int = 10) -> list[list[tuple[str, str]]]:
    """Distinct real human mature miRNAs for each session (no two sessions share a sequence)."""
    matures = sorted(data.load_mirbase("mature", "hsa").items())
    rng = np.random.default_rng(7)
    picks = rng.choice(len(matures), size=sessions * per_session, replace=False)
    return [[matures[i] for i in picks[s * per_session:(s + 1) * per_session]] for s in range(sessions)]


def server_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the server process and its children have used so far, in seconds."""
    proc = psutil.Process(pid)
    total = 0.0
    for p in [proc] + proc.children(recursive=True):
        times = p.cpu_times()
        total += times.user + times.system
    return total


def server_rss(pid: int) -> int:
    """Resident memory of the server process and its children, in bytes."""
    proc = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [proc] + proc.children(recursive=True))


async def run_session(browser, url: str, index: int, pairs, rounds: int, timeout_s: float, phase: str,
                      expected: pd.DataFrame, download_dir: Path) -> dict:
    context = await browser.new_context(accept_downloads=True)
    page = await context.new_page()
    latencies, errors = [], []
    try:
        await page.goto(url, timeout=timeout_s * 1000)
        await page.locator(".st-key-predict button").wait_for(timeout=timeout_s * 1000)
        for rnd in range(rounds):
            ids = [f"{phase}s{index}r{rnd}q{j}" for j in range(len(pairs))]
            fasta = to_fasta([(rid, seq) for rid, (_, seq) in zip(ids, pairs)])
            await page.locator(".st-key-fasta_input textarea").fill(fasta)  # sent with Predict (one form)
            start = time.perf_counter()
            await page.locator(".st-key-predict button").click()
            try:
                await page.wait_for_function(BARS_READY_JS, arg=[ids], timeout=timeout_s * 1000)
                latencies.append(time.perf_counter() - start)
            except Exception as exc:  # noqa: BLE001 - recorded as an error
                errors.append(f"session {index} round {rnd}: results not shown ({type(exc).__name__})")
                continue
            body = await page.locator('[data-testid="stMain"]').inner_text()
            if "Traceback" in body or "Error" in body.split("Results for")[0][-200:]:
                errors.append(f"session {index} round {rnd}: error text on the page")
            if rnd == rounds - 1:
                async with page.expect_download(timeout=timeout_s * 1000) as info:
                    await page.locator(".st-key-download_csv button").click()
                download = await info.value
                target = download_dir / f"{phase}_{index}.csv"
                await download.save_as(target)
                got = pd.read_csv(target, dtype={"id": str})
                if list(got["id"]) != ids:
                    errors.append(f"session {index}: CSV ids are not this session's ids (cross-talk)")
                else:
                    cols = [c for c in got.columns if c.startswith("p_")]
                    if not np.allclose(got[cols].to_numpy(float), expected[cols].to_numpy(float), atol=1e-6):
                        errors.append(f"session {index}: CSV probabilities differ from the core predictor")
    except Exception as exc:  # noqa: BLE001
        errors.append(f"session {index}: {type(exc).__name__}: {exc}"[:300])
    finally:
        await context.close()
    return {"latencies": latencies, "errors": errors}


async def run_phase(port: int, groups, rounds: int, timeout_s: float, phase: str, expected, download_dir) -> list:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            tasks = [run_session(browser, f"http://127.0.0.1:{port}/", i, pairs, rounds, timeout_s, phase,
                                 expected[i], download_dir) for i, pairs in enumerate(groups)]
            return await asyncio.gather(*tasks)
        finally:
            await browser.close()


def earlier_runs(previous: dict) -> list[dict]:
    """The stored report's capacity figures (and the runs it kept), to be kept in the next report: the server's
    cost per request changes with the app's code and the machine, so each run stays on record with both."""
    if not previous.get("server_capacity"):
        return []
    cap = previous["server_capacity"]
    entry = {"date": previous.get("date"), "cpu": previous.get("machine", {}).get("cpu"),
             "note": previous.get("change_note"),
             "server_cpu_seconds_per_request": cap["server_cpu_seconds_per_request"],
             "requests_per_minute_2_cores": cap["requests_per_minute_2_cores"]}
    return [*previous.get("earlier_runs", []), entry]


def doc_section(report: dict) -> str:
    """The ``capacity`` section of ``docs/benchmarks.md``, generated from ``load_app.json``."""
    cap, phases = report["server_capacity"], report["phases"]
    lines = [
        "## App capacity under load (20 real browsers, `benchmarks/load_app.py`)",
        "",
        f"Command: `{report['command']}` · {report['date']} · {report['machine']['cores']} cores"
        + (f", {report['machine']['cpu']}" if report["machine"].get("cpu") else "") + " · "
        f"{report['sessions']} concurrent sessions × {report['rounds_per_session']} rounds × "
        f"{report['sequences_per_request']} sequences per request.",
        "",
        f"**Server alone**: {cap['server_cpu_seconds_per_request']} CPU-seconds per ten-sequence request, so one "
        f"2-core server sustains about **{cap['requests_per_minute_2_cores']} requests per minute**. How: {cap['how']}",
        "",
        "| phase | requests | errors | p50 (s) | p95 (s) | server CPU-s / request | server RSS after (MB) |",
        "|---|---|---|---|---|---|---|",
        *(f"| {name} | {ph['completed']}/{ph['requests']} | {ph['errors']} | {ph['p50_seconds']} | "
          f"{ph['p95_seconds']} | {ph['server_cpu_seconds_per_request']} | {ph['rss_after_mb']} |"
          for name, ph in phases.items()),
        "",
        f"Memory stable between the phases: {'yes' if report['memory_stable'] else 'no'} "
        f"({report['rss_growth_phase_b_mb']:+} MB). Latency: {report['note']}.",
    ]
    if report.get("change_note"):
        lines += ["", f"What changed in the app before this run: {report['change_note']}"]
    if report.get("earlier_runs"):
        lines += ["", "Earlier runs: " + "; ".join(
            f"{run['date']} ({run['cpu'] or 'CPU not recorded'}): {run['server_cpu_seconds_per_request']} CPU-s per "
            f"request, {run['requests_per_minute_2_cores']} requests/min"
            + (f" ({run['note']})" if run.get("note") else "") for run in report["earlier_runs"]) + "."]
    return "\n".join(lines)


def write_doc(report: dict) -> None:
    artifacts.update_doc_section(config.REPO_ROOT / "docs" / "benchmarks.md", "capacity", doc_section(report))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds allowed per page action")
    parser.add_argument("--out", default=str(config.results_dir() / "load_app.json"))
    parser.add_argument("--note", default=None, help="what changed in the app since the stored run (kept in the "
                        "JSON and the docs; the stored run moves to earlier_runs)")
    parser.add_argument("--render", action="store_true", help="only re-render the docs from the stored JSON")
    args = parser.parse_args(argv)
    if args.render:
        write_doc(json.loads(Path(args.out).read_text()))
        return 0

    from mirloc_core.predict import Predictor

    groups = session_sequences(args.sessions)
    predictor = Predictor.load()
    expected = []
    for i, pairs in enumerate(groups):
        ids = [f"Xs{i}r{args.rounds - 1}q{j}" for j in range(len(pairs))]
        expected.append(predictor.predict(parse_fasta(to_fasta(list(zip(ids, [s for _, s in pairs]))))).table)

    port = free_port()
    tmp = Path(tempfile.mkdtemp(prefix="mirloc_load_"))
    server = start_server(port, log_path=tmp / "server.log")
    report: dict = {}
    try:
        wait_healthy(port, timeout=120, process=server)
        # warm-up: one session, one round (loads the models into the server)
        warm = asyncio.run(run_phase(port, groups[:1], 1, args.timeout, "W", [expected[0]], tmp))
        rss_warm = server_rss(server.pid)
        phases = {}
        for phase in ("A", "B"):
            exp = [e.assign(id=e["id"].str.replace("X", phase, n=1)) for e in expected]
            start, cpu_start = time.perf_counter(), server_cpu_seconds(server.pid)
            results = asyncio.run(run_phase(port, groups, args.rounds, args.timeout, phase, exp, tmp))
            wall = time.perf_counter() - start
            server_cpu = server_cpu_seconds(server.pid) - cpu_start
            latencies = [x for r in results for x in r["latencies"]]
            errors = [e for r in results for e in r["errors"]]
            phases[phase] = {
                "requests": args.sessions * args.rounds,
                "completed": len(latencies),
                "errors": len(errors),
                "first_errors": errors[:10],
                "p50_seconds": round(statistics.median(latencies), 3) if latencies else None,
                "p95_seconds": round(float(np.percentile(latencies, 95)), 3) if latencies else None,
                "max_seconds": round(max(latencies), 3) if latencies else None,
                "wall_seconds": round(wall, 1),
                "server_cpu_seconds": round(server_cpu, 1),
                "server_cpu_seconds_per_request": round(server_cpu / max(1, len(latencies)), 3),
                "rss_after_mb": round(server_rss(server.pid) / 2**20, 1),
            }
        growth = phases["B"]["rss_after_mb"] - phases["A"]["rss_after_mb"]
        per_request = float(np.mean([phases[p]["server_cpu_seconds_per_request"] for p in ("A", "B")]))
        capacity = {"server_cpu_seconds_per_request": round(per_request, 3),
                    "requests_per_minute_2_cores": round(60 * 2 / per_request, 1),
                    "how": "the server process's own CPU time (psutil, with its children) during phases A and B, "
                           "divided by the requests served; one 2-core server can then sustain 2 × 60 s / that "
                           "many ten-sequence requests per minute when nothing else (such as the 20 browsers of "
                           "this test) shares its cores. Each request has new ids, so none is served from the "
                           "cache of identical submissions."}
        all_latencies = phases["A"]["p95_seconds"], phases["B"]["p95_seconds"]
        report = {
            "command": "python benchmarks/load_app.py " + " ".join(sys.argv[1:] if argv is None else argv),
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "machine": {"cores": os.cpu_count(), "cpu": artifacts.cpu_description(),
                        "python": platform.python_version(),
                        "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
            "sessions": args.sessions,
            "rounds_per_session": args.rounds,
            "sequences_per_request": 10,
            "warmup_errors": sum(len(r["errors"]) for r in warm),
            "rss_after_warmup_mb": round(rss_warm / 2**20, 1),
            "phases": phases,
            "server_capacity": capacity,
            "rss_growth_phase_b_mb": round(growth, 1),
            "memory_stable": bool(growth <= 0.05 * phases["A"]["rss_after_mb"]),
            "change_note": args.note,
            "earlier_runs": earlier_runs(json.loads(Path(args.out).read_text()) if Path(args.out).exists() else {}),
            "note": "phase B repeats phase A on the same server: memory must not keep growing with requests; "
                    "latency is click → all ten 7-bar charts drawn, with all sessions submitting concurrently "
                    "on one 2-core machine where the server and 20 Chromium instances share the cores: it measures "
                    "the browsers as much as the server (see server_capacity for the server alone)",
        }
    finally:
        stop_server(server)
    errors = report["phases"]["A"]["errors"] + report["phases"]["B"]["errors"] + report["warmup_errors"]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    write_doc(report)
    artifacts.merge_summary({"load_sessions": args.sessions, "load_errors": errors,
                             "app_server_cpu_seconds_per_request": report["server_capacity"][
                                 "server_cpu_seconds_per_request"],
                             "app_requests_per_minute": report["server_capacity"]["requests_per_minute_2_cores"],
                             "load_p95_seconds": max(x for x in all_latencies if x is not None)
                             if any(x is not None for x in all_latencies) else None})
    print(json.dumps(report, indent=2))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

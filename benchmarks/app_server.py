"""Start / stop a local ``streamlit run app.py`` server and drive it with Debian's chromium (Playwright).

Shared by the real-browser test (``tests/test_browser.py``) and the app benchmark (``benchmarks/app_bench.py``).
The server is a subprocess on a free local port, stopped by its PID (its own process group); chromium is the
Debian package at ``/usr/bin/chromium`` (installed by ``scripts/run_tests.sh``), launched headless with the
network-quiet flags below.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    """A free TCP port on localhost."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, env: dict | None = None, log_path: Path | None = None) -> subprocess.Popen:
    """``streamlit run app.py`` on ``port`` (headless), in its own process group."""
    environment = dict(os.environ)
    environment.update(env or {})
    environment.setdefault("OMP_NUM_THREADS", "2")
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=REPO_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )


def wait_healthy(port: int, timeout: float = 60.0, process: subprocess.Popen | None = None) -> float:
    """Poll ``/_stcore/health`` until it answers ``ok``; return the seconds waited."""
    start = time.perf_counter()
    url = f"http://127.0.0.1:{port}/_stcore/health"
    while time.perf_counter() - start < timeout:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.read().strip() == b"ok":
                    return time.perf_counter() - start
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"streamlit did not become healthy on port {port} within {timeout:.0f} s")


def stop_server(process: subprocess.Popen) -> None:
    """Stop the server by its PID (SIGTERM to its process group, then SIGKILL after 10 s)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def launch_browser(playwright):
    """Debian's chromium through Playwright, headless and without background network traffic."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


# JavaScript predicates evaluated in the page ---------------------------------------------------------------

BARS_READY_JS = """([ids]) => {
  const heads = Array.from(document.querySelectorAll('[data-testid="stMain"] h4')).map(h => h.innerText.trim());
  if (heads.length !== ids.length || !ids.every((id, i) => heads[i].startsWith(id))) return false;
  const all = Array.from(document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot'));
  const plots = all.filter(p => p.querySelector('.barlayer'));
  const tracks = all.filter(p => p.querySelector('.heatmaplayer'));
  if (plots.length !== ids.length || tracks.length !== ids.length) return false;
  return plots.every(p => p.querySelectorAll('.barlayer .point path').length === 7);
}"""
"""True when the result cards show exactly ``ids`` (in order), each with a drawn 7-bar chart."""


def wait_idle(page, timeout_ms: int = 90_000) -> None:
    """Wait until the script run is over: no running-status widget and no loading skeleton on the page."""
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')
                 && !document.querySelector('[data-testid="stSkeleton"]')
                 && !document.querySelector('[data-stale="true"]')""",
        timeout=timeout_ms, polling=100)

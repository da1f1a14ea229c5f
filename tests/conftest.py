"""Shared test fixtures: the real shared data (``MIRLOC_DATA``), and an isolated cache per session."""

from __future__ import annotations

import os
import sys

import pytest

from mirloc_core import config as mirloc_config

# benchmarks/ holds reusable harnesses (e.g. the fuzzer) that tests run on a smaller scale
sys.path.insert(0, str(mirloc_config.REPO_ROOT))


def pytest_configure(config):  # noqa: D401 - pytest hook
    """Keep torch and BLAS at the CI machine's size and make the numba cache persistent."""
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    os.environ.setdefault("NUMBA_CACHE_DIR", str(mirloc_config.REPO_ROOT / ".cache" / "numba"))


@pytest.fixture(scope="session")
def shared_data():
    """The shared data directory; the suite requires it (CI clones the repository beside ../shared)."""
    root = mirloc_config.data_dir()
    assert mirloc_config.data_available(), f"shared data not found at {root}: set MIRLOC_DATA"
    return root


@pytest.fixture(scope="session")
def network(shared_data):
    from mirloc_core.io import data

    return data.load_network()


@pytest.fixture(scope="session")
def name_map(shared_data):
    from mirloc_core.io import data

    return data.map_names_to_sequences()


@pytest.fixture
def one_torch_thread():
    """Small models: one thread is fastest, and immune to a busy machine (restored afterwards)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """``streamlit run app.py`` on a free local port, for the real-browser tests (stopped by its PID)."""
    from benchmarks.app_server import free_port, start_server, stop_server, wait_healthy

    port = free_port()
    process = start_server(port, log_path=tmp_path_factory.mktemp("server") / "streamlit.log")
    try:
        wait_healthy(port, timeout=90, process=process)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(process)
    assert process.poll() is not None

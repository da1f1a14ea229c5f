"""The Dask engine of batch scoring (:mod:`mirloc_core.batch`): the same chunks, predicted on a cluster.

Each worker loads the predictor once, through a worker plugin (:class:`PredictorPlugin`), and tasks look it up on
their worker; chunks come back in input order, so the output equals the one-process run.
"""

from __future__ import annotations

import os

import dask
from distributed import Client, LocalCluster, WorkerPlugin, get_worker

from mirloc_core.config import Settings

LOCAL_WORKER_CONFIG = {"distributed.worker.profile.enabled": False}
"""Dask settings of the local cluster's workers (:func:`local_cluster`): no statistical profiler (it feeds the
dashboard, which the local cluster does not start)."""

MMAP_THRESHOLD = 32 * 2**20
TRIM_THRESHOLD = 64 * 2**20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (glibc's malloc.h)


def tune_malloc() -> bool:
    """Give this process's glibc malloc fixed thresholds: mmap above :data:`MMAP_THRESHOLD`, trim above
    :data:`TRIM_THRESHOLD` (the ceilings glibc's own dynamic thresholds reach). Returns whether it applied (glibc
    only).

    Dask starts its workers with ``MALLOC_TRIM_THRESHOLD_`` set, and setting it also pins glibc's mmap threshold at
    128 kB: every tensor above that is then mapped and unmapped afresh, and a worker took four times the page faults
    of one process and ran slower (``benchmarks/batch_bench.py --only 'dask settings'``). The variable is read when a
    process starts and Dask's nanny also copies it into its parent's environment, so the worker plugin sets the
    thresholds from inside the worker instead, on a local cluster or on one of your own.
    """
    import ctypes
    import ctypes.util

    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1


class PredictorPlugin(WorkerPlugin):
    """A Dask worker plugin: each worker loads the predictor once, when it starts (``worker.mirloc_predictor``),
    after :func:`tune_malloc` (unless ``malloc=False``, kept for the benchmark's comparison)."""

    name = "mirloc-predictor"

    def __init__(self, settings: Settings, malloc: bool = True):
        self.settings = settings
        self.malloc = malloc

    def setup(self, worker) -> None:
        from mirloc_core.predict import Predictor

        if self.malloc:
            tune_malloc()
        worker.mirloc_predictor = Predictor.load(settings=self.settings)

    def teardown(self, worker) -> None:
        worker.mirloc_predictor = None


def _predict_on_worker(records: list, sequence_only: bool):
    result = get_worker().mirloc_predictor.predict(records, sequence_only=sequence_only)
    return result.to_frame(), result.notices


def local_cluster(workers: int | None = None) -> LocalCluster:
    """A local cluster of ``workers`` single-thread worker processes (default: one per core), configured with
    :data:`LOCAL_WORKER_CONFIG`."""
    with dask.config.set(LOCAL_WORKER_CONFIG):
        return LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                            dashboard_address=None)


def predict_dask(chunks, settings: Settings, sequence_only: bool, scheduler: str | None = None,
                 workers: int | None = None):
    """Predict chunks on a Dask cluster (``scheduler`` address, else a local cluster of ``workers`` processes with
    one thread each); yields ``(table, notices)`` per chunk in input order, with at most two chunks per worker in
    flight."""
    cluster = local_cluster(workers) if scheduler is None else None
    client = Client(scheduler or cluster)
    try:
        client.register_plugin(PredictorPlugin(settings.replace(threads=1)))
        in_flight = 2 * max(1, len(client.scheduler_info()["workers"]))
        pending: list = []
        for chunk in chunks:
            pending.append(client.submit(_predict_on_worker, chunk, sequence_only, pure=False))
            if len(pending) >= in_flight:
                yield pending.pop(0).result()
        while pending:
            yield pending.pop(0).result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

"""Speed of the released sequence models on the CPU: 10 sequences as the app sees them, and all of miRBase.

:func:`speed_benchmark` times :class:`~mirloc_core.predict.Predictor` end to end and by stage;
:func:`rnafm_comparison` times RNA-FM's encoder (12 layers, 640-d, random initialisation) on the same 10 sequences,
when the optional ``multimolecule`` package is installed. Both write into the ``speed`` entry of
``benchmarks/results/sequence_cv.json`` (:mod:`mirloc_core.reports.sequence`).
"""

from __future__ import annotations

import os
import time

import numpy as np
import torch


def ten_sequences() -> list:
    """The 10 timed inputs: the first 5 human matures and the first 5 human hairpins of miRBase 22 (records)."""
    from mirloc_core.io.data import load_mirbase
    from mirloc_core.io.fasta import SequenceRecord

    matures = load_mirbase("mature", species="hsa")
    hairpins = load_mirbase("hairpin", species="hsa")
    return [SequenceRecord(n, n, s) for n, s in list(matures.items())[:5] + list(hairpins.items())[:5]]


def _timed(stages: dict, key: str, func, *args, **kwargs) -> None:
    t0 = time.perf_counter()
    func(*args, **kwargs)
    stages[key].append(time.perf_counter() - t0)


def predict10_seconds(predictor, repeats: int = 5) -> dict:
    """Warm time to predict the :func:`ten_sequences` (median of ``repeats``), end to end and by stage."""
    ten = ten_sequences()
    seqs = [r.sequence for r in ten]
    predictor.predict(ten)  # warm-up
    stages = {"total": [], "binary": [], "sevencomp": [], "conservation": [], "nearest": []}
    for _ in range(repeats):
        _timed(stages, "total", predictor.predict, ten)
        cache: dict = {}
        _timed(stages, "binary", predictor.binary.predict, seqs, lm_cache=cache)
        _timed(stages, "sevencomp", predictor.sevencomp.predict, seqs, lm_cache=cache)
        _timed(stages, "conservation", predictor._blend_conservation, seqs, np.zeros((len(seqs), 7), np.float32))
        _timed(stages, "nearest", predictor._nearest, seqs)
    return {"predict10_seconds": round(float(np.median(stages["total"])), 4),
            "predict10_torch_threads": predictor.threads,
            "predict10_stages_median_seconds": {k: round(float(np.median(v)), 4) for k, v in stages.items()},
            "predict10_note": "5 human matures + 5 hairpins; Predictor.predict end to end, incl. the nearest-known "
                              "SW lookup, the kNN-SW blend and the conservation features (stages: binary includes "
                              "the shared LM)"}


def mirbase_batch_seconds(predictor, batch_threads: int) -> dict:
    """Time for all miRBase 22 matures through both sequence ensembles and the conservation features, with
    ``batch_threads`` torch threads (restored afterwards)."""
    from mirloc_core.io.data import load_mirbase

    everything = list(load_mirbase("mature", species=None).values())
    threads = torch.get_num_threads()
    torch.set_num_threads(batch_threads)
    try:
        t0 = time.perf_counter()
        cache = {}
        predictor.binary.predict(everything, batch_size=512, lm_cache=cache)
        t_bin = time.perf_counter() - t0
        predictor.sevencomp.predict(everything, batch_size=512, lm_cache=cache)
        t_seven = time.perf_counter() - t0 - t_bin
        if predictor.conservation is not None:
            from mirloc_core.features.conservation import conservation_features

            conservation_features(everything)
        total = time.perf_counter() - t0
    finally:
        torch.set_num_threads(threads)
    return {"mirbase_batch_seconds": round(total, 2), "mirbase_batch_n": len(everything),
            "mirbase_batch_torch_threads": batch_threads,
            "mirbase_batch_stages_seconds": {"binary_incl_lm": round(t_bin, 2), "sevencomp": round(t_seven, 2),
                                             "conservation": round(total - t_bin - t_seven, 2)},
            "mirbase_batch_note": "all miRBase 22 matures through both neural sequence ensembles (float64, "
                                  "batch 512, LM shared) and the conservation features (k-mer index already "
                                  "loaded); the SW-based parts (nearest known miRNAs and the kNN-SW term of "
                                  "the seven-compartment blend: one SW pass, ~3 ms per sequence) are not "
                                  "included"}


def speed_benchmark(predictor, batch_threads: int | None = None, log=print) -> dict:
    """Warm CPU time to predict 10 sequences (median of 5, ``predictor.threads`` torch threads, as in the app),
    and all miRBase 22 matures (sequence models, ``batch_threads`` torch threads: default all cores, as
    ``python -m mirloc_core predict`` uses)."""
    out = predict10_seconds(predictor)
    log(f"  predict 10: {out['predict10_seconds']:.3f}s {out['predict10_stages_median_seconds']}")
    out.update(mirbase_batch_seconds(predictor, batch_threads or os.cpu_count() or 1))
    log(f"  all {out['mirbase_batch_n']} matures: {out['mirbase_batch_seconds']:.1f}s")
    return out


def rnafm_comparison(predict10: float, threads: int | None) -> dict:
    """RNA-FM's encoder on the :func:`ten_sequences`, and its ratio to our ``predict10`` seconds; when it
    cannot be measured (optional dependency missing), ``rnafm_encoder10_seconds`` is None and
    ``rnafm_not_measured`` says why."""
    try:
        from mirloc_core.models.rnafm import rnafm_encoder_seconds

        rnafm = rnafm_encoder_seconds([r.sequence for r in ten_sequences()], threads=threads)
        return {**rnafm, "rnafm_ratio": round(rnafm["rnafm_encoder10_seconds"] / predict10, 1)}
    except Exception as exc:  # optional dependency: record why it was not measured
        return {"rnafm_encoder10_seconds": None, "rnafm_not_measured": f"{type(exc).__name__}: {exc}"}

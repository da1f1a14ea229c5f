"""The GPU path, proven: train one epoch of the sequence model and of the graph transformer on CUDA, predict the
example and 1,000 miRBase 22 sequences on CUDA, and compare every probability with the CPU run.

Run on a machine with a GPU (``python benchmarks/gpu_check.py --out benchmarks/results/gpu.json``); without one it
says so and exits 2. The JSON records the timings of both devices, the largest CPU/CUDA differences and whether
they are within the stated tolerance (the models run in float64 and results are rounded to float32, so the two
devices should agree to about 1e-6; ``TOLERANCE`` leaves room for a different summation order on the GPU).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

TOLERANCE = 1e-5
"""Largest accepted CPU/CUDA difference of a probability or an attention weight."""
PROBABILITY_COLUMNS = ["p_extracellular", "p_intracellular", "p_cytoplasm", "p_exosome", "p_nucleolus", "p_nucleus",
                       "p_extracellular_vesicle", "p_microvesicle", "p_mitochondrion"]


def mirbase_records(n: int = 1000, seed: int = 0) -> list:
    """``n`` miRBase 22 entries of every species, half matures and half hairpins (seeded)."""
    from mirloc_core.io import data
    from mirloc_core.io.fasta import SequenceRecord

    rng = random.Random(seed)
    matures, hairpins = data.load_mirbase("mature", None), data.load_mirbase("hairpin", None)
    names = rng.sample(sorted(matures), n // 2) + rng.sample(sorted(hairpins), n - n // 2)
    return [SequenceRecord(name, name, matures.get(name) or hairpins[name]) for name in names]


def timed(fn, repeats: int = 1):
    """``(result of the last call, seconds of the fastest call)``."""
    best, out = float("inf"), None
    for _ in range(repeats):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        start = time.perf_counter()
        out = fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return out, round(best, 4)


DEVICES = ("cpu", "cuda")
"""The reference device and the device checked (``--dry-run`` checks the CPU against itself, to test this script
on a machine without a GPU)."""


def predict_both(records: dict) -> dict:
    """Predict every record set on CPU and CUDA; timings and the largest differences."""
    from mirloc_core.config import Settings
    from mirloc_core.predict import Predictor

    threads = os.cpu_count() or 1
    out = {}
    predictors = {name: Predictor.load(settings=Settings.from_env(device=d, threads=threads))
                  for name, d in zip(("cpu", "cuda"), DEVICES)}
    for name, recs in records.items():
        results, seconds = {}, {}
        for device, predictor in predictors.items():
            predictor.predict(recs[:4])  # warm-up (CUDA context, kernels, lazy indexes)
            results[device], seconds[device] = timed(lambda p=predictor: p.predict(recs), repeats=2)
        cpu, gpu = results["cpu"], results["cuda"]
        prob = np.abs(cpu.table[PROBABILITY_COLUMNS].to_numpy(float) - gpu.table[PROBABILITY_COLUMNS].to_numpy(float))
        att = max(float(np.max(np.abs(np.asarray(a.attention) - np.asarray(b.attention)))) for a, b in zip(cpu, gpu))
        out[name] = {"n": len(recs), "seconds": seconds, "speedup": round(seconds["cpu"] / seconds["cuda"], 2),
                     "max_abs_diff_probability": float(prob.max()), "max_abs_diff_attention": att,
                     "same_calls": bool((cpu.table["call"] == gpu.table["call"]).all()),
                     "same_known_mirna": bool((cpu.table["known_mirna"] == gpu.table["known_mirna"]).all()),
                     "within_tolerance": bool(prob.max() <= TOLERANCE and att <= TOLERANCE)}
        print(f"[predict {name}] {out[name]}", flush=True)
    out["devices"] = {d: str(p.device) for d, p in predictors.items()}
    return out


def train_sequence_epoch() -> dict:
    """One epoch of the seven-compartment sequence model (one member) on each device."""
    from mirloc_core.pretrained import load_lm
    from mirloc_core.training.sequence import SEVEN_CONFIG, SequenceModelEstimator, seven_dataset

    seqs, y, _, _ = seven_dataset()
    lm = load_lm()
    out = {"n_sequences": len(seqs)}
    for name, device in zip(("cpu", "cuda"), DEVICES):
        estimator = SequenceModelEstimator(SEVEN_CONFIG, lm=lm, seeds=(0,), epochs=1, device=device)
        inputs = estimator.inputs(seqs)
        fitted, seconds = timed(lambda e=estimator: e.fit(inputs, y))
        prob = fitted.predict_proba(inputs)
        out[name] = {"epoch_seconds": seconds, "finite": bool(np.isfinite(prob).all()),
                     "mean_probability": round(float(prob.mean()), 4)}
        print(f"[train sequence, 1 epoch, {device}] {out[name]}", flush=True)
    return out


def train_graph_transformer_epochs() -> dict:
    """The graph transformer on the disease modality over the functional graph: 1 epoch and the released 60."""
    from mirloc_core.features.graph_refinement import train_graph_transformer
    from mirloc_core.features.networks import functional_graph
    from mirloc_core.io.data import load_published_features

    features = load_published_features()["disease"]
    edges = functional_graph(0.8)
    out = {"nodes": int(features.shape[0]), "edges": int(edges.shape[1])}
    embeddings = {}
    for name, device in zip(("cpu", "cuda"), DEVICES):
        _, one = timed(lambda d=device: train_graph_transformer(features, edges, epochs=1, seed=0, device=d))
        embeddings[name], full = timed(lambda d=device: train_graph_transformer(features, edges, epochs=60, seed=0,
                                                                                 device=d))
        out[name] = {"epoch_1_seconds": one, "epochs_60_seconds": full}
        print(f"[graph transformer, {device}] {out[name]}", flush=True)
    diff = np.abs(np.asarray(embeddings["cpu"], float) - np.asarray(embeddings["cuda"], float))
    out["max_abs_diff_embedding_60_epochs"] = float(diff.max())
    out["note"] = ("60 epochs of training amplify float round-off differently on each device, so the embeddings "
                   "are compared for information, not for equality")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--dry-run", action="store_true", help="CPU against CPU, with 100 sequences (tests the script)")
    args = parser.parse_args(argv)
    global DEVICES
    if args.dry_run:
        DEVICES = ("cpu", "cpu")
    elif not torch.cuda.is_available():
        print("no CUDA device: this check needs a GPU", file=sys.stderr)
        return 2
    from mirloc_core.io.fasta import parse_fasta
    from mirloc_core.io.submission import example_fasta

    start = time.perf_counter()
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none (dry run)"
    result = {"device": gpu, "torch": torch.__version__, "cuda": torch.version.cuda, "dry_run": args.dry_run,
              "numpy": np.__version__, "python": platform.python_version(), "cpu_cores": os.cpu_count(),
              "tolerance": TOLERANCE,
              "predict": predict_both({"example": parse_fasta(example_fasta()), "mirbase_1000": mirbase_records(100 if args.dry_run else 1000)}),
              "train_sequence_one_epoch": train_sequence_epoch(),
              "graph_transformer": train_graph_transformer_epochs()}
    result["passed"] = all(v["within_tolerance"] and v["same_calls"] for k, v in result["predict"].items()
                           if k != "devices")
    result["seconds"] = round(time.perf_counter() - start, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({"passed": result["passed"], "seconds": result["seconds"]}), flush=True)
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())

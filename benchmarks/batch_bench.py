"""Batch scoring throughput and memory: ``python benchmarks/batch_bench.py --n 200000``.

Builds a FASTA of ``n`` sequences (miRBase 22 matures and hairpins of every species, repeated with unique ids),
then scores it with ``mirloc predict`` as a separate process in three set-ups — one process on one thread, one
process on two threads, and a local Dask cluster of two single-thread workers — recording sequences per second
and the peak resident memory of the whole process tree (psutil, sampled every 0.2 s). The memory is also measured
on a quarter of the input, to show it does not grow with the input. Writes ``benchmarks/results/batch.json`` and
the summary keys ``batch_seq_per_second_1proc``, ``batch_seq_per_second_dask2`` and ``batch_peak_rss_mb_200k``
(the last only when ``n`` is 200,000), and projects the time for RNAcentral-scale inputs from the measured rate.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RNACENTRAL_MIRNA_LENGTH = 10_000_000
"""An order of magnitude for "all of RNAcentral's miRNA-length sequences", for the projection only."""


def write_input(path: Path, n: int) -> None:
    from mirloc_core.io import data

    pool = list(data.load_mirbase("mature", None).items()) + list(data.load_mirbase("hairpin", None).items())
    with open(path, "w") as handle:
        for i in range(n):
            name, sequence = pool[i % len(pool)]
            handle.write(f">r{i}_{name}\n{sequence}\n")


def measure(args: list[str], out: Path) -> dict:
    """Run ``mirloc predict`` with ``args``; wall time and the peak RSS of the process and its children."""
    import psutil

    command = [sys.executable, "-m", "mirloc_core", "predict", *args, "--out", str(out)]
    start = time.perf_counter()
    process = psutil.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        try:
            tree = [process, *process.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.2)
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise RuntimeError(process.stderr.read().decode()[-2000:])
    rows = sum(1 for _ in open(out)) - 1
    return {"seconds": round(seconds, 1), "sequences": rows, "per_second": round(rows / seconds, 1),
            "peak_rss_mb": round(peak / 2**20, 1)}


def main(argv=None) -> int:
    from mirloc_core.io.artifacts import command_line, merge_summary

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    runs = {"one process, 1 thread": ["--threads", "1"], "one process, 2 threads": ["--threads", "2"],
            "Dask local cluster, 2 workers": ["--engine", "dask", "--workers", "2"]}
    result = {"command": command_line(), "n": args.n, "runs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_input(tmp / "all.fa", args.n)
        write_input(tmp / "quarter.fa", args.n // 4)
        for name, extra in runs.items():
            result["runs"][name] = measure([str(tmp / "all.fa"), *extra], tmp / "out.csv")
            print(name, result["runs"][name], flush=True)
        result["memory_quarter_input"] = measure([str(tmp / "quarter.fa"), "--threads", "1"], tmp / "q.csv")
    one = result["runs"]["one process, 1 thread"]
    result["projection"] = {
        "sequences": RNACENTRAL_MIRNA_LENGTH,
        "hours_one_core": round(RNACENTRAL_MIRNA_LENGTH / one["per_second"] / 3600, 1),
        "hours_on_100_cores": round(RNACENTRAL_MIRNA_LENGTH / (100 * one["per_second"]) / 3600, 2),
        "note": "linear in the measured one-core rate: chunks are independent, so N Dask workers on N cores "
                "divide the time by about N while the scheduler and the writer keep up"}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "batch.json").write_text(json.dumps(result, indent=2) + "\n")
    keys = {"batch_seq_per_second_1proc": one["per_second"],
            "batch_seq_per_second_dask2": result["runs"]["Dask local cluster, 2 workers"]["per_second"]}
    if args.n == 200_000:
        keys["batch_peak_rss_mb_200k"] = one["peak_rss_mb"]
    merge_summary(keys, args.out / "summary.json")
    print(json.dumps(keys))
    return 0


if __name__ == "__main__":
    sys.exit(main())

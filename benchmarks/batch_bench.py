"""Batch scoring throughput and memory: ``python benchmarks/batch_bench.py --n 200000``.

Builds a FASTA of ``n`` sequences (miRBase 22 matures and hairpins of every species, repeated with unique ids;
the entries `mirloc predict` refuses left out: IUPAC codes, over 1,000 nt), then scores it with ``mirloc predict``
as a separate process in three set-ups — one process on one thread, one process on two threads, and a local Dask
cluster of two single-thread workers — recording sequences per second and the peak resident memory of the whole
process tree (psutil, sampled every 0.2 s). The machine's own ceiling for two workers is measured too: two
independent one-thread processes started together, each on half the input (no scheduler, no client between them),
so the Dask run's efficiency can be read against what the two cores give at all. The memory is also measured on a
quarter of the input, to show it does not grow with the input. A run measured again keeps its earlier result in
``earlier_runs``, so the spread between runs stays on record.

Writes ``benchmarks/results/batch.json`` and the summary keys ``batch_seq_per_second_1proc``,
``batch_seq_per_second_dask2``, ``batch_peak_rss_mb_200k`` (only when ``n`` is 200,000), ``batch_dask2_speedup``
and ``batch_two_processes_speedup`` (the ceiling), and projects the time for RNAcentral-scale inputs from the
measured rate.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RNACENTRAL_MIRNA_LENGTH = 10_000_000
"""An order of magnitude for "all of RNAcentral's miRNA-length sequences", for the projection only."""


def _valid(sequence: str) -> bool:
    """Whether ``mirloc predict`` accepts the sequence (of miRBase 22's 87,474 entries it refuses 131: 128 with
    IUPAC codes, 3 hairpins over the 1,000-nt limit)."""
    from mirloc_core.io.fasta import InputError, normalise_sequence

    try:
        normalise_sequence(sequence)
    except InputError:
        return False
    return True


def write_input(path: Path, n: int) -> None:
    from mirloc_core.io import data

    pool = list(data.load_mirbase("mature", None).items()) + list(data.load_mirbase("hairpin", None).items())
    pool = [(name, seq) for name, seq in pool if _valid(seq)]
    random.Random(0).shuffle(pool)  # matures and hairpins mixed alike in any prefix: the quarter run is comparable
    with open(path, "w") as handle:
        for i in range(n):
            name, sequence = pool[i % len(pool)]
            handle.write(f">r{i}_{name}\n{sequence}\n")


def measure(args: list[str], out: Path) -> dict:
    """Run ``mirloc predict`` with ``args``; wall time and the peak RSS of the process and its children."""
    return measure_together([args], [out])


def measure_together(runs: list[list[str]], outs: list[Path]) -> dict:
    """Start one ``mirloc predict`` per ``runs`` entry at once (output ``outs[i]``); wall time until the last
    ends, rows written by all, and the peak of the summed RSS of all their process trees."""
    import psutil

    start = time.perf_counter()
    processes = [psutil.Popen([sys.executable, "-m", "mirloc_core", "predict", *args, "--out", str(out)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for args, out in zip(runs, outs)]
    peak = 0
    while any(p.poll() is None for p in processes):
        try:
            tree = [q for p in processes for q in (p, *p.children(recursive=True))]
            peak = max(peak, sum(q.memory_info().rss for q in tree if q.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.2)
    seconds = time.perf_counter() - start
    for process in processes:
        if process.returncode != 0:
            raise RuntimeError(process.stderr.read().decode()[-2000:])
    rows = sum(sum(1 for _ in open(out)) - 1 for out in outs)
    return {"seconds": round(seconds, 1), "sequences": rows, "per_second": round(rows / seconds, 1),
            "peak_rss_mb": round(peak / 2**20, 1)}


def split_input(path: Path, parts: int) -> list[Path]:
    """Cut a FASTA of two-line records into ``parts`` consecutive files of (nearly) equal record counts."""
    lines = path.read_text().splitlines(keepends=True)
    records = len(lines) // 2
    bounds = [round(records * i / parts) for i in range(parts + 1)]
    outs = [path.with_name(f"{path.stem}.part{i}{path.suffix}") for i in range(parts)]
    for out, lo, hi in zip(outs, bounds, bounds[1:]):
        out.write_text("".join(lines[2 * lo:2 * hi]))
    return outs


def stage_seconds(n: int = 2000) -> dict:
    """Per-sequence cost of each prediction stage on one thread, for ``n`` miRBase matures and ``n`` hairpins
    (all species, taken from the middle of the files): where the time of a batch run goes."""
    import numpy as np
    import torch

    from mirloc_core.config import Settings
    from mirloc_core.io import data
    from mirloc_core.io.fasta import SequenceRecord
    from mirloc_core.predict import Predictor

    predictor = Predictor.load(device="cpu", settings=Settings.from_env(threads=1)).warm()
    out = {}
    for kind in ("mature", "hairpin"):
        pool = list(data.load_mirbase(kind, None).items())
        records = [SequenceRecord(name, name, seq) for name, seq in pool[len(pool) // 2:][:n]]
        seqs = [r.sequence for r in records]
        predictor.predict(records[:20])
        times = {}
        start = time.perf_counter()
        predictor.predict(records).to_frame()
        times["whole prediction and table"] = time.perf_counter() - start
        steps = {"sequence models (binary, seven compartments, LM)":
                 lambda: [m.predict(seqs, lm_cache=cache) for cache in [{}] for m in (predictor.binary,
                                                                                      predictor.sevencomp)],
                 "Smith-Waterman lookup (known miRNAs, kNN reference)": lambda: predictor._lookup(seqs),
                 "miRNA-likeness (domain) check": lambda: predictor._domain(seqs),
                 "conservation features": lambda: predictor._blend_conservation(seqs, np.zeros((n, 7), np.float32))}
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # as predict() does with settings.threads = 1
        try:
            for name, step in steps.items():
                start = time.perf_counter()
                step()
                times[name] = time.perf_counter() - start
        finally:
            torch.set_num_threads(threads)
        out[kind] = {"n": n, "mean_length": round(float(np.mean([len(s) for s in seqs])), 1),
                     "per_second_whole": round(n / times["whole prediction and table"], 1),
                     "ms_per_sequence": {k: round(1000 * v / n, 3) for k, v in times.items()}}
        print(kind, out[kind], flush=True)
    return out


def dask_settings_effect(n: int = 8000) -> dict:
    """Throughput of 2 Dask workers on the same ``n`` sequences (chunks of 500) without and with the worker
    plugin's :func:`~mirloc_core.batch_dask.tune_malloc` (both clusters started with Dask's defaults, so with its
    ``MALLOC_TRIM_THRESHOLD_``); timed from the first chunk submitted, after the predictor is loaded and warm."""
    from distributed import Client, LocalCluster

    from mirloc_core.batch import BatchReader
    from mirloc_core.batch_dask import PredictorPlugin, _predict_on_worker
    from mirloc_core.config import Settings

    out: dict = {"n": n}
    with tempfile.TemporaryDirectory() as tmp:
        write_input(Path(tmp) / "in.fa", n)
        chunks = list(BatchReader(str(Path(tmp) / "in.fa")).chunks(500))
    for name, malloc in (("Dask's defaults", False), ("malloc tuned by the worker plugin", True)):
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            client.register_plugin(PredictorPlugin(Settings.from_env(threads=1), malloc=malloc))
            client.run(lambda dask_worker: dask_worker.mirloc_predictor.warm())
            start = time.perf_counter()
            futures = [client.submit(_predict_on_worker, chunk, False, pure=False) for chunk in chunks]
            rows = sum(len(future.result()[0]) for future in futures)
            seconds = time.perf_counter() - start
        out[name] = {"seconds": round(seconds, 1), "sequences": rows, "per_second": round(rows / seconds, 1)}
    return out


def doc_section(result: dict) -> str:
    """The ``batch`` section of ``docs/benchmarks.md``, generated from ``batch.json``."""
    runs, proj = result["runs"], result["projection"]
    quarter = result["memory_quarter_input"]
    lines = [
        f"## Batch scoring (`mirloc predict`, `benchmarks/batch_bench.py`)",
        "",
        "Commands: " + ", ".join(f"`{c}`" for c in dict.fromkeys(result.get("commands", [result["command"]])))
        + f" · {result.get('date', '')} · {result.get('cores', '?')} cores"
        + (f", {result['cpu']}" if result.get("cpu") else "") + " (load average before and after each "
        "run in the JSON). Input: "
        f"{result['n']:,} miRBase 22 matures and hairpins of every species, repeated with unique ids.",
        "",
        "| run | seconds | sequences/s | peak RSS (MB) |",
        "|---|---|---|---|",
        *(f"| {name} | {r['seconds']} | {r['per_second']} | {r['peak_rss_mb']} |" for name, r in runs.items()),
        f"| one process, 1 thread, a quarter of the input ({quarter['sequences']:,}) | {quarter['seconds']} | "
        f"{quarter['per_second']} | {quarter['peak_rss_mb']} |",
        "",
    ]
    ceiling = runs.get(TWO_PROCESSES)
    if ceiling and "one process, 1 thread" in runs and "Dask local cluster, 2 workers" in runs:
        one, dask = runs["one process, 1 thread"]["per_second"], runs["Dask local cluster, 2 workers"]["per_second"]
        lines += [f"What two workers can give on this machine: two independent one-thread processes, started together "
                  f"on half the input each, reach {ceiling['per_second']} sequences/s, "
                  f"{ceiling['per_second'] / one:.2f}x one process, with no scheduler or client between them: "
                  f"the most these two cores give; the Dask cluster's {dask} sequences/s ({dask / one:.2f}x) is "
                  f"{dask / ceiling['per_second']:.0%} of that ceiling.", ""]
    earlier = result.get("earlier_runs", {})
    if earlier:
        lines += ["Earlier runs of the same set-ups, kept for their spread (cloud machines of one CPU model vary "
                  "from run to run): " + "; ".join(
                      f"{name} {r['per_second']} sequences/s ({r.get('cpu') or 'CPU not recorded'}, "
                      f"JSON of {r.get('date') or '?'})" for name, runs_ in earlier.items() for r in runs_) + ".", ""]
    stages = {kind: v for kind, v in result.get("stages_one_thread", {}).items() if kind in ("mature", "hairpin")}
    if stages:
        names = list(stages["mature"]["ms_per_sequence"])
        lines += ["Where the time goes, one thread, ms per sequence (stages timed apart; the whole includes them):",
                  "", "| stage | " + " | ".join(f"{k} ({v['n']:,}, mean {v['mean_length']} nt)"
                                                 for k, v in stages.items()) + " |",
                  "|---|" + "---|" * len(stages),
                  *(f"| {name} | " + " | ".join(str(v["ms_per_sequence"][name]) for v in stages.values()) + " |"
                    for name in names),
                  "| sequences per second, whole | " + " | ".join(str(v["per_second_whole"])
                                                               for v in stages.values()) + " |", ""]
    effect = result.get("dask_worker_settings")
    if effect:
        default, tuned = effect["Dask's defaults"], effect["malloc tuned by the worker plugin"]
        lines += [f"glibc malloc in Dask workers, 2 workers, {effect['n']:,} of the same sequences (predictor loaded "
                  f"and warm): {default['per_second']} sequences/s as Dask starts them (`MALLOC_TRIM_THRESHOLD_` "
                  f"set, which pins the mmap threshold at 128 kB), {tuned['per_second']} after the worker plugin's "
                  "`tune_malloc` (fixed 32 MiB mmap and 64 MiB trim thresholds).", ""]
    lines += [f"Projection for {proj['sequences']:,} sequences ({proj['rate_used']}): "
              f"{proj['hours_one_core']} h on one core, {proj['hours_on_100_cores']} h on 100 Dask workers: "
              f"{proj['note']}."]
    return "\n".join(lines)


RUNS = {"one process, 1 thread": ["--threads", "1"], "one process, 2 threads": ["--threads", "2"],
        "Dask local cluster, 2 workers": ["--engine", "dask", "--workers", "2"]}
TWO_PROCESSES = "two independent processes, 1 thread each, half the input each"
"""The machine's ceiling for two workers (see the module docstring)."""
PARTS = (*RUNS, TWO_PROCESSES, "quarter", "stages", "dask settings")


def projection(mature_rate: float, runs: dict) -> dict:
    """Hours for RNAcentral-scale input from the one-core mature rate and, when measured, the per-worker efficiency
    of the 2-worker Dask run."""
    one, dask = runs.get("one process, 1 thread"), runs.get("Dask local cluster, 2 workers")
    efficiency = round(dask["per_second"] / (2 * one["per_second"]), 2) if one and dask else 1.0
    return {
        "sequences": RNACENTRAL_MIRNA_LENGTH,
        "rate_used": "one core on mature-length input (miRNA-length sequences are mature-like), from "
                     "stages_one_thread; the mixed 200k input runs slower because a hairpin costs ~4x a mature",
        "worker_efficiency": efficiency,
        "hours_one_core": round(RNACENTRAL_MIRNA_LENGTH / mature_rate / 3600, 1),
        "hours_on_100_cores": round(RNACENTRAL_MIRNA_LENGTH / (100 * efficiency * mature_rate) / 3600, 2),
        "note": f"chunks are independent, so N Dask workers on N cores divide the time by about N x the per-worker "
                f"efficiency measured here ({efficiency}: 2 workers on this 2-core machine, sharing it with the "
                "scheduler and the client that reads and writes)"}


def keep_earlier(result: dict, part: str, previous: dict) -> None:
    """Move the stored run ``part`` to ``result["earlier_runs"]`` before it is measured again, so that the spread
    between runs of one set-up stays on record (with the date and CPU of the JSON it came from when it has none)."""
    if part in result["runs"]:
        entry = {"date": previous.get("date"), "cpu": previous.get("cpu"), **result["runs"].pop(part)}
        result.setdefault("earlier_runs", {}).setdefault(part, []).append(entry)


def run_parts(parts: list[str], n: int, result: dict, previous: dict | None = None) -> None:
    """Measure ``parts`` (names of :data:`PARTS`) into ``result``, each with the load average around it, the
    date and the CPU; a run measured again keeps its earlier result (:func:`keep_earlier`; ``previous``: the
    stored JSON's top-level date and CPU)."""
    import datetime as dt
    import os

    from mirloc_core.io.artifacts import cpu_description

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_input(tmp / "all.fa", n)
        write_input(tmp / "quarter.fa", n // 4)
        for part in parts:
            load = round(os.getloadavg()[0], 2)
            if part in RUNS or part == TWO_PROCESSES:
                keep_earlier(result, part, previous or {})
            if part in RUNS:
                result["runs"][part] = measure([str(tmp / "all.fa"), *RUNS[part]], tmp / "out.csv")
                entry = result["runs"][part]
            elif part == TWO_PROCESSES:
                halves = split_input(tmp / "all.fa", 2)
                entry = result["runs"][part] = measure_together(
                    [[str(half), "--threads", "1"] for half in halves], [tmp / f"out{i}.csv" for i in range(2)])
            elif part == "dask settings":
                entry = result["dask_worker_settings"] = dask_settings_effect()
            elif part == "quarter":
                entry = result["memory_quarter_input"] = measure([str(tmp / "quarter.fa"), "--threads", "1"],
                                                                 tmp / "q.csv")
            else:
                entry = result["stages_one_thread"] = stage_seconds()
                result["projection"] = projection(entry["mature"]["per_second_whole"], result["runs"])
            entry["load_average_before_after"] = [load, round(os.getloadavg()[0], 2)]
            if part in RUNS or part == TWO_PROCESSES:
                entry.update(date=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                             cpu=cpu_description())
            print(part, entry, flush=True)


def summary_keys(result: dict) -> dict:
    one, dask = result["runs"].get("one process, 1 thread"), result["runs"].get("Dask local cluster, 2 workers")
    keys = {}
    if one:
        keys["batch_seq_per_second_1proc"] = one["per_second"]
        if result["n"] == 200_000:
            keys["batch_peak_rss_mb_200k"] = one["peak_rss_mb"]
    if dask:
        keys["batch_seq_per_second_dask2"] = dask["per_second"]
        if one:
            keys["batch_dask2_speedup"] = round(dask["per_second"] / one["per_second"], 2)
    ceiling = result["runs"].get(TWO_PROCESSES)
    if ceiling and one:
        keys["batch_two_processes_speedup"] = round(ceiling["per_second"] / one["per_second"], 2)
    return keys


def main(argv=None) -> int:
    import datetime as dt
    import os

    from mirloc_core.io.artifacts import command_line, cpu_description, merge_summary, update_doc_section

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS),
                        help="measure these parts only, keeping the others from the stored batch.json (same --n)")
    parser.add_argument("--render", action="store_true", help="only re-render the docs from the stored JSON")
    args = parser.parse_args(argv)
    docs = ROOT / "docs" / "benchmarks.md"
    stored = args.out / "batch.json"
    if args.render:  # the projection, the docs section and the summary keys, from the stored JSON
        result = json.loads(stored.read_text())
        result["projection"] = projection(result["stages_one_thread"]["mature"]["per_second_whole"], result["runs"])
        stored.write_text(json.dumps(result, indent=2) + "\n")
        update_doc_section(docs, "batch", doc_section(result))
        merge_summary(summary_keys(result), args.out / "summary.json")
        return 0
    result = json.loads(stored.read_text()) if stored.is_file() else {}
    if result.get("n") != args.n or set(args.only) == set(PARTS):
        result = {"n": args.n, "runs": {}}
    commands = result.get("commands", [])
    previous = {"date": result.get("date"), "cpu": result.get("cpu")}
    result.update({"command": command_line(), "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                   "cores": os.cpu_count(), "cpu": cpu_description(), "commands": [*commands, command_line()]})
    run_parts(args.only, args.n, result, previous)
    result["runs"] = {name: result["runs"][name] for name in (*RUNS, TWO_PROCESSES) if name in result["runs"]}
    args.out.mkdir(parents=True, exist_ok=True)
    stored.write_text(json.dumps(result, indent=2) + "\n")
    needed = {"one process, 1 thread", "Dask local cluster, 2 workers"}
    if needed <= set(result["runs"]) and {"stages_one_thread", "memory_quarter_input"} <= set(result):
        update_doc_section(docs, "batch", doc_section(result))
    keys = summary_keys(result)
    merge_summary(keys, args.out / "summary.json")
    print(json.dumps(keys))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m mirloc_core benchmark sequence``: the sequence-model benchmark → ``benchmarks/results/sequence_cv.json``.

Sections (each can be skipped with ``--skip``; a skipped section keeps its previous result and command):

``binary``
    the length rule and the released binary configuration (:func:`~mirloc_core.reports.sequence_cv.binary_cv`);
``ablations``
    one encoder at a time;
``audit``
    the label audit (:func:`~mirloc_core.reports.sequence_cv.binary_label_audit`);
``sevencomp``
    the seven-compartment CV on hairpins and matures, folds grouped by gene (``random``) and by homology, with
    mature-only / hairpin-only scores, calibration and the discovery-order split
    (:func:`~mirloc_core.reports.sequence_cv.sevencomp_cv`);
``fresh``
    with ``sevencomp`` skipped: only its conservation head on the fresh shuffles, per compartment with and
    without the paralog features (:func:`~mirloc_core.reports.sequence_cv.fresh_shuffles`), into the stored
    results;
``speed``
    prediction speed (:mod:`mirloc_core.reports.speed`).

The ``sequence`` section of ``docs/benchmarks.md`` is then rendered from the JSON
(:func:`~mirloc_core.reports.sequence_markdown.benchmark_markdown`) and the headline figures merged into
``benchmarks/results/summary.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import torch

from mirloc_core.reports.sequence_cv import (ABLATIONS, binary_cv, binary_label_audit, length_rule_cv,
                                             sevencomp_cv)
from mirloc_core.reports.sequence_markdown import benchmark_markdown
from mirloc_core.training.lm import machine_info
from mirloc_core.training.sequence import BINARY_CONFIG, EPOCHS

SECTIONS = ("binary", "ablations", "audit", "sevencomp", "fresh", "speed")
"""Benchmark sections; ``fresh`` re-runs only the conservation head on the fresh shuffles (seconds) into the stored
seven-compartment results, when ``sevencomp`` (which computes them too) is skipped."""


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m mirloc_core benchmark sequence", description=cli_benchmark.__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=3, help="ensemble members per fold (released: 3)")
    parser.add_argument("--ablation-repeats", type=int, default=1)
    parser.add_argument("--sevencomp-repeats", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default=None, help="training device: cpu or cuda (default: automatic)")
    parser.add_argument("--batch-threads", type=int, default=None,
                        help="torch threads for the all-miRBase batch (default: all cores, as the predict CLI)")
    parser.add_argument("--skip", nargs="*", default=[], choices=list(SECTIONS))
    parser.add_argument("--note", default="", help="free-text note stored with the timings (e.g. contention)")
    return parser.parse_args(argv)


def _timed(timings: dict, key: str, func, *args, **kwargs):
    t0 = time.perf_counter()
    value = func(*args, **kwargs)
    timings[key] = round(time.perf_counter() - t0, 1)
    return value


def _run_sections(result: dict, args: argparse.Namespace, lm, settings) -> None:
    """Run every section not in ``args.skip`` into ``result``."""
    timings = result.setdefault("stage_seconds", {})
    seeds = tuple(range(args.seeds))
    if "binary" not in args.skip:
        print("binary: length rule and released configuration")
        main = _timed(timings, "binary_cv", binary_cv, BINARY_CONFIG, lm, args.repeats, seeds=seeds,
                      epochs=args.epochs, device=settings.device)
        result["binary"] = {**result.get("binary", {}), "length_rule": length_rule_cv(), "main": main}
    if "ablations" not in args.skip:
        result.setdefault("binary", {})["ablations"] = _timed(timings, "binary_ablations", _ablations, lm, args,
                                                              settings)
    if "audit" not in args.skip:
        print("binary: label audit (strata, mature-in-precursor pairs, kNN-SW within strata)")
        result.setdefault("binary", {})["label_audit"] = binary_label_audit()
    if "sevencomp" not in args.skip:
        result["sevencomp"] = _timed(
            timings, "sevencomp_cv", lambda: {split: sevencomp_cv(lm, split, args.sevencomp_repeats, seeds=seeds,
                                                                  epochs=args.epochs, device=settings.device,
                                                                  discovery=split == "random")
                                              for split in ("random", "homology")})
    if "fresh" not in args.skip and "sevencomp" in args.skip and "sevencomp" in result:
        from mirloc_core.reports.sequence_cv import SevenData, fresh_shuffles

        print("seven compartments: conservation head on the fresh shuffles")
        for split, entry in result["sevencomp"].items():
            entry["fresh_shuffles"] = fresh_shuffles(SevenData.load(split), entry.get("folds", 10))
    if "speed" not in args.skip:
        result["speed"] = _speed(args, settings)


def _ablations(lm, args: argparse.Namespace, settings) -> dict:
    out = {}
    for name, cfg in ABLATIONS.items():
        print(f"binary ablation: {name}")
        out[name] = binary_cv(cfg, lm, args.ablation_repeats, seeds=(0,), epochs=args.epochs, device=settings.device)
    return out


def _speed(args: argparse.Namespace, settings) -> dict:
    from mirloc_core.predict import Predictor
    from mirloc_core.reports.speed import rnafm_comparison, speed_benchmark

    predictor = Predictor.load(device="cpu")
    speed = speed_benchmark(predictor, args.batch_threads)
    speed.update(rnafm_comparison(speed["predict10_seconds"], predictor.threads))
    speed["note"] = args.note or f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    return speed


def headline_summary(result: dict) -> dict:
    """The headline keys of ``benchmarks/results/summary.json`` (and of the model card) from the JSON result."""
    summary = {}
    if "binary" in result and "main" in result["binary"]:
        m, r = result["binary"]["main"]["metrics"], result["binary"]["length_rule"]
        summary.update({"seq_binary_acc_cv5": m["overall"]["acc"]["mean"],
                        "seq_binary_macro_f1_cv5": m["overall"]["macro_f1"]["mean"],
                        "length_rule_acc_cv5": r["overall"]["acc"]["mean"],
                        "length_rule_macro_f1_cv5": r["overall"]["macro_f1"]["mean"],
                        "seq_binary_acc_cv5_mature": m["mature"]["acc"]["mean"]})
    if "sevencomp" in result:
        summary.update({"seq_7comp_auc_10fold": result["sevencomp"]["random"]["auc"]["mean"],
                        "seq_7comp_aupr_10fold": result["sevencomp"]["random"]["aupr"]["mean"],
                        "seq_7comp_auc_homology": result["sevencomp"]["homology"]["auc"]["mean"]})
        rnd = result["sevencomp"]["random"]
        if "by_stratum" in rnd:
            strata = rnd["by_stratum"]["released"]
            summary.update({"seq_7comp_auc_mature": strata["mature"]["auc"],
                            "seq_7comp_aupr_mature": strata["mature"]["aupr"],
                            "seq_7comp_auc_hairpin": strata["hairpin"]["auc"],
                            "calibration_ece_7comp": rnd["calibration"]["ece_after"],
                            "calibration_ece_7comp_uncalibrated": rnd["calibration"]["ece_before"]})
        if "discovery_order" in rnd:
            summary.update({"seq_7comp_auc_discovery_order": rnd["discovery_order"]["released"]["auc"],
                            "study_bias_auc_discovery_order": rnd["discovery_order"]["study_bias_baseline"]["auc"]})
    if "speed" in result:
        summary.update({"predict10_seconds": result["speed"]["predict10_seconds"],
                        "rnafm_encoder10_seconds": result["speed"].get("rnafm_encoder10_seconds"),
                        "mirbase_batch_seconds": result["speed"]["mirbase_batch_seconds"]})
    return summary


def cli_benchmark(argv: list[str]) -> int:
    """``python -m mirloc_core benchmark sequence [--repeats 5] [--seeds 3] [--ablation-repeats 1] ...``."""
    import datetime as _dt

    from mirloc_core.config import REPO_ROOT, Settings
    from mirloc_core.io.artifacts import command_line, merge_summary, read_json, update_doc_section
    from mirloc_core.pretrained import load_lm

    args = _parse_args(argv)
    settings = Settings.from_env(threads=args.threads, device=args.device)
    if settings.threads:
        torch.set_num_threads(int(settings.threads))
    lm = load_lm(settings.weights_dir / "lm")
    path = settings.results_dir / "sequence_cv.json"
    result = read_json(path, {}) or {}
    result.update({"command": command_line(), "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                   "machine": machine_info()})
    result["lm"] = (read_json(settings.weights_dir / "lm" / "manifest.json", {}) or {}).get("metrics", {})
    _run_sections(result, args, lm, settings)
    ran = {"command": result["command"], "date": result["date"]}
    sections = result.setdefault("section_commands", {})
    for section in SECTIONS:
        if section not in args.skip:
            sections[section] = ran
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1) + "\n")
    update_doc_section(REPO_ROOT / "docs" / "benchmarks.md", "sequence", benchmark_markdown(result))
    result["summary"] = headline_summary(result)
    path.write_text(json.dumps(result, indent=1) + "\n")
    merge_summary(result["summary"])
    print(json.dumps(result["summary"], indent=1))
    return 0

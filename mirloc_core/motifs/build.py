"""``python -m mirloc_core motifs build``: the motif artefacts of ``weights/motifs/`` and their report.

Runs the two sequence models (through a loaded :class:`~mirloc_core.predict.Predictor`) on their training
sequences, reads attention motifs (median and strict rules) and GLAM2 motifs per class, compares them with the
known motifs (TOMTOM), and writes ``known_motifs.meme`` (the 112 known motifs in RNA alphabet, so the scan
works without the shared data), ``attention_motifs.meme``, ``attention_motifs_strict.meme``,
``denovo_glam2.meme``, ``motifs.json`` (per motif: id, source, class, rule, consensus, PWM, E-value, sites;
per class summary; the TOMTOM match table; configuration), ``matches.csv``, ``logos/<motif id>.png`` and
``manifest.json`` (sha256 of every file), plus ``docs/motifs.md`` (:mod:`mirloc_core.reports.motifs`) and
``benchmarks/results/motifs.json``. :func:`mirloc_core.pretrained.load_motif_artifacts` reads them back.

Sizes: the full build takes ~2–8 minutes on 2 cores (mostly running the two sequence models on ~1,900
training sequences). ``memelite`` compiles TOMTOM with numba on first use (about a minute); set
``NUMBA_CACHE_DIR`` to keep the compiled code.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mirloc_core.config import COMPARTMENT_KEYS, REPO_ROOT, results_dir, weights_dir
from mirloc_core.io import artifacts, data
from mirloc_core.io.fasta import SequenceRecord
from mirloc_core.motifs.cluster import cluster_seqlets
from mirloc_core.motifs.compare import compare_motifs, enrichment_evalues
from mirloc_core.motifs.glam2 import run_glam2
from mirloc_core.motifs.meme import known_motifs, write_meme
from mirloc_core.motifs.pwm import MAX_WIDTH, MIN_WIDTH, Motif
from mirloc_core.motifs.scan import SCAN_THRESHOLD, scan_known_motifs
from mirloc_core.motifs.seqlets import RULES, call_seqlets, known_site_attention
from mirloc_core.plot import save_logo
from mirloc_core.reports.motifs import render_markdown, statements


@dataclass
class ClassSet:
    """Sequences of one class for motif discovery."""

    key: str                 # class key (binary class or compartment key)
    model: str               # "binary" or "7comp"
    sequences: dict          # id -> sequence: non-redundant class members for GLAM2 (discovery split)
    heldout: dict            # id -> sequence: the other non-redundant members (enrichment E-values)
    negatives: dict          # id -> sequence: non-redundant non-members, for the enrichment E-values
    selected: dict           # id -> sequence: confidently and correctly predicted members (attention)
    attention: dict          # id -> attention array for the selected members
    selection_rule: str
    n_members: int


def deduplicate(sequences: dict[str, str], priority: list[str] | None = None, max_similarity: float = 0.8) -> dict:
    """Greedy non-redundant subset: keep a sequence unless its normalised SW similarity to a kept one ≥ max.

    ``priority`` (ids) sets the order in which sequences are considered (default: dict order).
    """
    from mirloc_core.features.alignment import sw_similarity_matrix

    ids = list(priority or sequences)
    if len(ids) <= 1:
        return {i: sequences[i] for i in ids}
    sim = sw_similarity_matrix([sequences[i] for i in ids])
    kept: list[int] = []
    for i in range(len(ids)):
        if not kept or sim[i, kept].max() < max_similarity:
            kept.append(i)
    return {ids[i]: sequences[ids[i]] for i in kept}


def _subsample(items: dict, n: int | None, seed: int) -> dict:
    if n is None or len(items) <= n:
        return dict(items)
    rng = np.random.default_rng(seed)
    keys = list(items)
    pick = sorted(rng.choice(len(keys), size=n, replace=False))
    return {keys[i]: items[keys[i]] for i in pick}


def _select(ids: list[str], confidence: np.ndarray, all_probabilities: np.ndarray, threshold: float,
            min_n: int) -> tuple[list[str], str]:
    """Confidently and correctly predicted members.

    A member is kept when its predicted probability for its class is ≥ ``min(threshold, q75)``, where q75 is
    the 75th percentile of that probability over *all* sequences (members or not): for rare compartments
    the seven-compartment model seldom outputs 0.8, so "confident" is then taken relative to the class's
    own score distribution (top quarter). When fewer than ``min_n`` pass, the ``min_n`` most confident
    members are used.
    """
    q75 = float(np.quantile(all_probabilities, 0.75)) if len(all_probabilities) else threshold
    cut = min(threshold, q75)
    order = np.argsort(-confidence, kind="stable")
    chosen = [ids[i] for i in order if confidence[i] >= cut]
    if len(chosen) >= min_n:
        how = f"p >= {threshold}" if cut == threshold else f"p >= {cut:.3f} (75th percentile over all sequences)"
        return chosen, f"label positive and {how}"
    chosen = [ids[i] for i in order[:min_n]]
    return chosen, f"fewer than {min_n} pass p >= {cut:.3f}: the {len(chosen)} most confident positives"


def _split(items: dict, max_discovery: int, seed: int) -> tuple[dict, dict]:
    """Random 2/3 (at most ``max_discovery``) discovery / rest held-out split of a dict."""
    keys = list(items)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(keys))
    n_disc = min(max_discovery, int(math.ceil(2 * len(keys) / 3)))
    disc = sorted(order[:n_disc])
    rest = sorted(order[n_disc:])
    return {keys[i]: items[keys[i]] for i in disc}, {keys[i]: items[keys[i]] for i in rest}


def collect_classes(predictor, subset: int | None = None, seed: int = 0, confidence: float = 0.8,
                    min_selected: int = 20, max_glam2: int = 120, max_negatives: int = 300
                    ) -> tuple[list[ClassSet], dict]:
    """Run the sequence models on the training sequences and gather, per class, sequences and attention.

    Returns the classes and the predictor's provenance (model names, manifest sha256s, device).

    Binary classes come from RNALoc-LM's train.tsv with the binary model's attention; the seven compartments
    from the labelled, sequence-mapped network miRNAs with the seven-compartment model's attention.
    """
    train, net, network = _training_sets(subset, seed)
    provenance: dict = {}
    limits = {"seed": seed, "max_glam2": max_glam2, "max_negatives": max_negatives}
    # binary model on train.tsv
    ids = [f"train_{i}" for i in train["mirbase_id"]]
    seqs = dict(zip(ids, train["sequence"]))
    p_intra, attention_binary = _run_model(predictor, ids, list(seqs.values()), "binary", provenance)
    labels = train["label"].to_numpy()
    classes: list[ClassSet] = []
    for key, value in (("extracellular", 0), ("intracellular", 1)):
        member = [i for i, lab in zip(ids, labels) if lab == value]
        conf = np.array([p_intra[ids.index(i)] if value == 1 else 1 - p_intra[ids.index(i)] for i in member])
        chosen, rule = _select(member, conf, p_intra if value == 1 else 1 - p_intra, confidence, min_selected)
        negative_ids = [i for i, lab in zip(ids, labels) if lab != value]
        classes.append(_class_set(key, "binary", seqs, member, conf, chosen, rule, negative_ids, attention_binary,
                                  **limits))
    # seven-compartment model on the network miRNAs
    nids = [f"net_{n}" for n in net["name"]]
    nseqs = dict(zip(nids, net["sequence"]))
    probs, attention_seven = _run_model(predictor, nids, list(nseqs.values()), "7comp", provenance)
    if probs.shape[1] != len(COMPARTMENT_KEYS):  # 7 columns, COMPARTMENTS order
        raise ValueError(f"expected 7 sequence-model probabilities, got {probs.shape[1]}")
    labels7 = network.labels[net["row"].to_numpy()]
    for c, key in enumerate(COMPARTMENT_KEYS):
        member_idx = np.flatnonzero(labels7[:, c] == 1)
        member = [nids[i] for i in member_idx]
        conf = probs[member_idx, c]
        chosen, rule = _select(member, conf, probs[:, c], confidence, min_selected)
        negative_ids = [nids[i] for i in np.flatnonzero(labels7[:, c] == 0)]
        classes.append(_class_set(key, "7comp", nseqs, member, conf, chosen, rule, negative_ids, attention_seven,
                                  **limits))
    return classes, provenance


def _training_sets(subset: int | None, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, object]:
    """RNALoc-LM's train.tsv (unique sequences), the labelled sequence-mapped network miRNAs (``row`` = their
    network row) and the network; with ``subset``, at most ``subset`` sequences per binary label and
    ``3 * subset`` network miRNAs."""
    train = data.load_rnaloc_train().drop_duplicates("sequence").reset_index(drop=True)
    mapping = data.map_names_to_sequences()
    network = data.load_network()
    ok = (mapping["source"] != "none").to_numpy() & network.labelled
    net = mapping[ok].assign(row=np.flatnonzero(ok)).drop_duplicates("sequence").reset_index(drop=True)
    if subset:
        rng = np.random.default_rng(seed)
        parts = [g.iloc[sorted(rng.choice(len(g), size=min(subset, len(g)), replace=False))]
                 for _, g in train.groupby("label")]
        train = pd.concat(parts).reset_index(drop=True)
        net = net.iloc[sorted(rng.choice(len(net), size=min(3 * subset, len(net)), replace=False))]
        net = net.reset_index(drop=True)
    return train, net, network


def _run_model(predictor, ids: list[str], seqs: list[str], which: str, provenance: dict) -> tuple[np.ndarray, dict]:
    """Probabilities and attention of one of the two sequence models (``which``: ``binary`` or ``7comp``).

    Only the needed model is run, through the Predictor's loaded ensemble (``predictor.binary`` /
    ``predictor.sevencomp``, which ``Predictor.predict`` itself calls); ``Predictor.predict`` (both
    models plus the nearest-miRNA search) is the fallback. Updates ``provenance`` in place.
    """
    ensemble = getattr(predictor, "binary" if which == "binary" else "sevencomp", None)
    if ensemble is not None and hasattr(ensemble, "predict"):
        out = ensemble.predict(seqs)
        probs = np.asarray(out.probabilities, dtype=np.float64)
        attention = {i: np.asarray(a, dtype=np.float64) for i, a in zip(ids, out.attention)}
        root = getattr(predictor, "weights_root", None)
        manifest = Path(root) / "sequence" / "manifest.json" if root is not None else None
        provenance.update({"device": str(getattr(predictor, "device", "")), "models": "weights/sequence",
                           "sequence_manifest_sha256": data.file_sha256(manifest)
                           if manifest is not None and manifest.is_file() else ""})
        return (probs[:, 0] if which == "binary" else probs), attention
    records = [SequenceRecord(i, i, s, "") for i, s in zip(ids, seqs)]
    res = predictor.predict(records, sequence_only=True)
    provenance.update(res.provenance)
    if which == "binary":
        p = res.table.set_index("id").loc[ids, "p_intracellular"].to_numpy(dtype=np.float64)
        return p, {i: np.asarray(res.attention[i], dtype=np.float64) for i in ids}
    probs = res.sequence_probabilities.loc[ids].to_numpy(dtype=np.float64)  # COMPARTMENTS order
    return probs, {i: np.asarray(res.attention_7comp[i], dtype=np.float64) for i in ids}


def _class_set(key: str, model: str, seqs: dict, member: list[str], conf: np.ndarray, chosen: list[str], rule: str,
               negative_ids: list[str], attention: dict, seed: int, max_glam2: int, max_negatives: int) -> ClassSet:
    """One class: the non-redundant chosen members (attention set), a discovery / held-out split of the
    non-redundant members (most confident first) and a subsample of the non-redundant non-members."""
    chosen_seqs = deduplicate({i: seqs[i] for i in chosen})
    order = [member[i] for i in np.argsort(-conf, kind="stable")]
    members, heldout = _split(deduplicate(seqs, order), max_glam2, seed)
    negatives = _subsample(deduplicate(seqs, negative_ids), max_negatives, seed)
    return ClassSet(key, model, members, heldout, negatives, chosen_seqs, {i: attention[i] for i in chosen_seqs},
                    rule, len(member))


def _short(key: str) -> str:
    """Short class tag used in derived motif ids (``nucleus`` → ``NUC``)."""
    return {"extracellular": "EXT", "intracellular": "INT", "cytoplasm": "CYT", "exosome": "EXO",
            "nucleolus": "NUCL", "nucleus": "NUC", "extracellular_vesicle": "EV", "microvesicle": "MV",
            "mitochondrion": "MITO"}.get(key, key.upper())


def build_parser() -> argparse.ArgumentParser:
    """Options of ``python -m mirloc_core motifs build``."""
    parser = argparse.ArgumentParser(prog="python -m mirloc_core motifs build",
                                     description="Build attention, GLAM2 and known motif artefacts (weights/motifs).")
    parser.add_argument("--subset", type=int, default=None,
                        help="use at most N sequences per binary class (3N network miRNAs): a quick test build")
    parser.add_argument("--out", type=Path, default=None, help="output directory (default: weights/motifs)")
    parser.add_argument("--weights", type=Path, default=None,
                        help="weights directory holding sequence/ (default: weights/)")
    parser.add_argument("--doc", type=Path, default=None, help="report (default: docs/motifs.md)")
    parser.add_argument("--results", type=Path, default=None,
                        help="benchmark JSON (default: benchmarks/results/motifs.json)")
    parser.add_argument("--no-summary", action="store_true", help="do not merge keys into summary.json")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--confidence", type=float, default=0.8,
                        help="minimum predicted probability of the true class for the attention set")
    parser.add_argument("--glam2-runs", type=int, default=None)
    parser.add_argument("--glam2-iterations", type=int, default=None)
    return parser


def cli_build(argv: list[str]) -> int:
    """``python -m mirloc_core motifs build [--subset N] [--out DIR] [--doc PATH] [--results PATH]``."""
    parser = build_parser()
    args = parser.parse_args(argv)

    from mirloc_core.predict import Predictor

    t_start = time.perf_counter()
    predictor = Predictor.load(args.weights)
    return build(args, predictor, argv, t_start)


def build(args: argparse.Namespace, predictor, argv: list[str], t_start: float | None = None) -> int:
    """The body of :func:`cli_build`, given parsed options and a loaded :class:`~mirloc_core.predict.Predictor`."""
    t_start = time.perf_counter() if t_start is None else t_start
    load_start = os.getloadavg()[0]
    timing = {}
    out_dir = Path(args.out) if args.out else weights_dir() / "motifs"
    doc_path = Path(args.doc) if args.doc else REPO_ROOT / "docs" / "motifs.md"
    results_path = Path(args.results) if args.results else results_dir() / "motifs.json"
    glam2_cfg = {"runs": args.glam2_runs or (3 if args.subset else 10),
                 "iterations": args.glam2_iterations or (500 if args.subset else 2000),
                 "n_motifs": 3, "min_width": MIN_WIDTH, "max_width": MAX_WIDTH, "init_width": 10, "seed": 1}

    t = time.perf_counter()
    classes, provenance = collect_classes(predictor, subset=args.subset, seed=args.seed,
                                          confidence=args.confidence)
    timing["predict_seconds"] = time.perf_counter() - t

    known = known_motifs()
    t = time.perf_counter()
    derived, class_summary = _attention_motifs(classes)
    timing["attention_motifs_seconds"] = time.perf_counter() - t

    t = time.perf_counter()
    derived.extend(_glam2_motifs(classes, class_summary, glam2_cfg))
    timing["glam2_seconds"] = time.perf_counter() - t

    t = time.perf_counter()
    matches = compare_motifs(derived, known + derived) if derived else pd.DataFrame()
    timing["tomtom_seconds"] = time.perf_counter() - t

    t = time.perf_counter()
    site_table = known_site_attention({cs.key: (cs.selected, cs.attention) for cs in classes}, known)
    timing["known_site_attention_seconds"] = time.perf_counter() - t

    mirna_known, recovered = _known_recovered(known, derived, matches)
    timing.update(_scan_timing(args.seed))

    t = time.perf_counter()
    logos = _write_motif_files(out_dir, known, derived, matches, args.subset)
    timing["logos_seconds"] = time.perf_counter() - t
    timing["total_seconds"] = time.perf_counter() - t_start

    command = artifacts.command_line()
    if not command.startswith("python -m mirloc_core"):
        command = "python -m mirloc_core motifs build " + " ".join(argv)
    config = _build_config(args, glam2_cfg)
    report = {
        "command": command, "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "config": config, "timing": timing, "predictor": provenance,
        "class_summary": class_summary,
        "motifs": [m.to_dict() for m in known + derived],
        "matches": _best_matches(matches).to_dict(orient="records") if len(matches) else [],
        "logos": logos,
        "known_recovered": recovered,
        "classes": class_summary,
        "known_site_attention": site_table.to_dict(orient="records"),
    }
    report["statements"] = statements(report, matches)
    metrics = _write_report(out_dir, doc_path, report, matches, recovered, config, command)
    results = _results(report, matches, derived, metrics, recovered, mirna_known, load_start)
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(results, indent=1, default=_json_default) + "\n")
    if not args.no_summary:
        artifacts.merge_summary(metrics)
    print(json.dumps(metrics))
    for s in report["statements"]:
        print("-", s)
    return 0


def _attention_motifs(classes: list[ClassSet]) -> tuple[list[Motif], list[dict]]:
    """Seqlets and attention motifs of every class under both rules, and the per-class summary rows."""
    derived: list[Motif] = []
    class_summary = []
    for cs in classes:
        row = {"class": cs.key, "model": cs.model, "n_members": cs.n_members, "n_selected": len(cs.selected),
               "selection_rule": cs.selection_rule, "n_glam2_input": len(cs.sequences),
               "n_heldout": len(cs.heldout), "n_negatives": len(cs.negatives),
               # how peaked the attention is: median over the set of max(attention) / mean(attention)
               "attention_peak_ratio": round(float(np.median([a.max() / a.mean() for a in cs.attention.values()])), 3)
               if cs.attention else None}
        for rule, letter in (("median", "M"), ("strict", "S")):
            seqlets = [s for sid, seq in cs.selected.items()
                       for s in call_seqlets(sid, seq, cs.attention[sid], rule=rule)]
            found = cluster_seqlets(seqlets, cs.selected, id_prefix=f"ATT_{_short(cs.key)}_{letter}",
                                    label=cs.key, rule=rule)
            for m in found:
                m.info["model"] = cs.model
            derived.extend(found)
            row[f"n_seqlets_{rule}"] = len(seqlets)
            row[f"mean_seqlet_width_{rule}"] = float(np.mean([s.end - s.start for s in seqlets])) if seqlets else None
            row[f"n_motifs_{rule}"] = len(found)
            row[f"n_significant_{rule}"] = sum(1 for m in found if m.evalue is not None and m.evalue <= 0.05)
        class_summary.append(row)
    return derived, class_summary


def _glam2_motifs(classes: list[ClassSet], class_summary: list[dict], glam2_cfg: dict) -> list[Motif]:
    """GLAM2 motifs of every class with their held-out enrichment E-values (adds ``n_glam2`` to the rows)."""
    derived: list[Motif] = []
    for cs, row in zip(classes, class_summary):
        found = run_glam2(cs.sequences, n_motifs=glam2_cfg["n_motifs"], runs=glam2_cfg["runs"],
                          iterations=glam2_cfg["iterations"], init_width=glam2_cfg["init_width"],
                          seed=glam2_cfg["seed"], id_prefix=f"GLAM2_{_short(cs.key)}_", label=cs.key)
        enrich = enrichment_evalues(found, list(cs.heldout.values()), list(cs.negatives.values()))
        for m, e in zip(found, enrich):
            m.evalue = e["evalue"]
            m.info.update({"enrichment": e, "model": cs.model})
        derived.extend(found)
        row["n_glam2"] = len(found)
    return derived


def _known_recovered(known: list[Motif], derived: list[Motif], matches: pd.DataFrame) -> tuple[list[str], dict]:
    """The known miRNA motifs, and which of them the attention motifs (per rule, and enriched median-rule
    motifs only) and the GLAM2 motifs match at q < 0.05."""
    mirna_known = [m.id for m in known if m.source == "known_localization" and m.info.get("rna_type") == "miRNA"]
    recovered = {}
    for rule in RULES:
        ids = {m.id for m in derived if m.source == "attention" and m.info.get("rule") == rule}
        sig = matches[matches["query_id"].isin(ids) & (matches["q_value"] < 0.05)] if len(matches) else matches
        recovered[rule] = sorted(set(sig["target_id"]) & set(mirna_known)) if len(sig) else []
    ids = {m.id for m in derived if m.source == "attention" and m.info.get("rule") == "median"
           and m.evalue is not None and m.evalue <= 0.05}
    sig = matches[matches["query_id"].isin(ids) & (matches["q_value"] < 0.05)] if len(matches) else matches
    recovered["median_enriched_motifs_only"] = sorted(set(sig["target_id"]) & set(mirna_known)) if len(sig) else []
    glam_ids = {m.id for m in derived if m.source == "glam2"}
    sig = matches[matches["query_id"].isin(glam_ids) & (matches["q_value"] < 0.05)] if len(matches) else matches
    recovered["glam2"] = sorted(set(sig["target_id"]) & set(mirna_known)) if len(sig) else []
    return mirna_known, recovered


def _scan_timing(seed: int) -> dict:
    """Warm per-sequence time of :func:`scan_known_motifs` on 200 training sequences."""
    train = data.load_rnaloc_train()
    scan_seqs = train["sequence"].sample(n=min(200, len(train)), random_state=seed).tolist()
    scan_known_motifs(scan_seqs[0])
    durations = []
    for s in scan_seqs:
        t = time.perf_counter()
        scan_known_motifs(s)
        durations.append(time.perf_counter() - t)
    return {"scan_seconds_mean": float(np.mean(durations)), "scan_seconds_max": float(np.max(durations)),
            "scan_n": len(durations)}


def _write_motif_files(out_dir: Path, known: list[Motif], derived: list[Motif], matches: pd.DataFrame,
                       subset: int | None) -> dict:
    """Clear ``out_dir``, write the four MEME files and the logos; returns motif id → logo path (relative)."""
    if out_dir.exists():
        for p in list(out_dir.glob("*.meme")) + list(out_dir.glob("*.json")) + list(out_dir.glob("*.csv")):
            p.unlink()
        if (out_dir / "logos").is_dir():
            shutil.rmtree(out_dir / "logos")
    out_dir.mkdir(parents=True, exist_ok=True)
    write_meme(known, out_dir / "known_motifs.meme")
    write_meme([m for m in derived if m.source == "attention" and m.info.get("rule") == "median"],
               out_dir / "attention_motifs.meme")
    write_meme([m for m in derived if m.source == "attention" and m.info.get("rule") == "strict"],
               out_dir / "attention_motifs_strict.meme")
    write_meme([m for m in derived if m.source == "glam2"], out_dir / "denovo_glam2.meme")
    best_known = set()
    if len(matches):
        top = matches[matches["target_source"].isin(["known_localization", "rbp"])]
        top = top.sort_values("p_value").groupby("query_id").head(1)
        best_known = set(top["target_id"])
    logos = {}
    logo_motifs = derived if subset else derived + [k for k in known if k.source == "known_localization"
                                                    or k.id in best_known]
    for m in logo_motifs:  # a --subset build draws only its own motifs (logomaker takes ~0.25 s a logo)
        rel = f"logos/{m.id}.png"
        save_logo(m, out_dir / rel)
        logos[m.id] = rel
    return logos


def _build_config(args: argparse.Namespace, glam2_cfg: dict) -> dict:
    """The build's configuration, as recorded in ``motifs.json``, the manifest and the results."""
    return {"subset": args.subset, "seed": args.seed, "confidence": args.confidence, "min_selected": 20,
            "rules": {"median": "attention > per-sequence median", "strict": "attention > per-sequence 80th percentile"},
            "seqlet_width": [MIN_WIDTH, MAX_WIDTH], "seqlet_max_gap": 1, "cluster_k": 6, "cluster_flank": 3,
            "dedup_similarity": 0.8, "glam2": glam2_cfg, "scan_threshold": SCAN_THRESHOLD,
            "tomtom": "memelite.tomtom, reverse_complement=False, per-query BH q-values"}


def _write_report(out_dir: Path, doc_path: Path, report: dict, matches: pd.DataFrame, recovered: dict,
                  config: dict, command: str) -> dict:
    """Write ``motifs.json``, ``matches.csv``, the manifest and the Markdown report; returns the metrics."""
    (out_dir / "motifs.json").write_text(json.dumps(report, default=_json_default) + "\n")
    (_best_matches(matches) if len(matches) else pd.DataFrame(columns=["query_id"])).to_csv(
        out_dir / "matches.csv", index=False, float_format="%.4g")
    timing = report["timing"]
    metrics = {"motif_build_seconds": round(timing["total_seconds"], 1),
               "motif_scan_seconds": round(timing["scan_seconds_mean"], 4),
               "motif_known_recovered": len(recovered["median"]),
               "motif_known_recovered_enriched": len(recovered["median_enriched_motifs_only"])}
    artifacts.write_manifest(out_dir, "motifs", metrics=metrics, config=config,
                             data=data.data_fingerprint(("rnaloc_lm_mirna", "network1041", "mirbase22", "motifs")),
                             command=command)
    try:
        logo_prefix = os.path.relpath(out_dir, doc_path.parent) + "/"
    except ValueError:
        logo_prefix = str(out_dir) + "/"
    doc_path.parent.mkdir(parents=True, exist_ok=True)
    doc_path.write_text(render_markdown(report, logo_prefix))
    return metrics


def _results(report: dict, matches: pd.DataFrame, derived: list[Motif], metrics: dict, recovered: dict,
             mirna_known: list[str], load_start: float) -> dict:
    """The benchmark JSON (``benchmarks/results/motifs.json``)."""
    return {
        "command": report["command"], "date": report["date"], "machine": report["machine"],
        "note": (f"timed under contention: load average {load_start:.1f} at the start and {os.getloadavg()[0]:.1f} "
                 f"at the end on {os.cpu_count()} cores (other jobs were running)")
        if max(load_start, os.getloadavg()[0]) > 0.75 * (os.cpu_count() or 1) else "quiet machine",
        "timing": report["timing"], "metrics": metrics, "known_recovered": recovered,
        "known_mirna_motifs": mirna_known, "class_summary": report["class_summary"], "config": report["config"],
        "n_attention_motifs": {r: sum(1 for m in derived if m.source == "attention" and m.info.get("rule") == r)
                               for r in RULES},
        "n_glam2_motifs": sum(1 for m in derived if m.source == "glam2"),
        "significant_known_matches": (matches[(matches["q_value"] < 0.05)
                                              & matches["target_source"].isin(["known_localization", "rbp"])]
                                      [["query_id", "target_id", "target_name", "p_value", "q_value", "offset"]]
                                      .to_dict(orient="records") if len(matches) else []),
        "statements": report["statements"],
        "known_site_attention": report["known_site_attention"],
    }


def _best_matches(matches: pd.DataFrame, top: int = 5) -> pd.DataFrame:
    """The match table kept in the artefacts: per query its ``top`` best known and ``top`` best derived
    targets, plus every pair with q < 0.05."""
    known = matches["target_source"].isin(["known_localization", "rbp"])
    group_rank = matches.groupby([matches["query_id"], known])["p_value"].rank(method="first")
    keep = (group_rank <= top) | (matches["q_value"] < 0.05)
    return matches[keep].reset_index(drop=True)


def _json_default(obj):
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    return str(obj)

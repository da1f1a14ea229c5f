"""Release of the network model: train on all labelled network miRNAs and write ``weights/network/`` (atlas of
the 1,041 miRNAs, model tensors, model card, manifest); ``python -m mirloc_core train network``.

The atlas is read back by :func:`mirloc_core.pretrained.load_atlas`. Its probabilities are out-of-fold (protocol
(a), 10-fold, seed ``cfg.seed``) for the labelled miRNAs, from the full model for the others.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from mirloc_core import config
from mirloc_core.features.network_inputs import feature_sets, labelled_sets
from mirloc_core.features.names import NAME_FEATURES
from mirloc_core.models.graph import MODALITIES
from mirloc_core.pretrained import ATLAS_FILE, NetworkAtlas
from mirloc_core.training.cv import gtmaloc_folds
from mirloc_core.training.network import MEMBERS, NetworkModel, PipelineConfig, network_cv

MODEL_FILE = "model.safetensors"
CALIBRATION_FILE = "calibration.json"
"""Platt parameters per compartment (fitted on all out-of-fold rows), see :mod:`.calibration`."""
RELEASE_FOLDS = 10
"""Folds of the out-of-fold probabilities stored in the atlas (protocol (a))."""
ATLAS_NOTE = ("probabilities are out-of-fold (10-fold CV, seed 42) where out_of_fold is true; "
              "calibrated_probabilities: Platt scaling per compartment, cross-fitted over the same folds for the "
              "labelled rows, through calibration.json for the others; base_rates: training prevalence of the "
              "labelled miRNAs; the mRNA modality uses the published node2vec embedding + co-localization feature "
              "because the miRNA-mRNA matrix is not public")
"""The atlas metadata's description of its arrays."""


def save_atlas(atlas: NetworkAtlas, directory: Path) -> None:
    """Write the atlas as ``atlas.safetensors`` (arrays) + ``atlas.json`` (names, sequences, sources)."""
    from mirloc_core.io.artifacts import save_tensors

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    save_tensors(directory / ATLAS_FILE, {
        "probabilities": atlas.probabilities.astype(np.float32),
        "out_of_fold": atlas.out_of_fold.astype(np.uint8),
        "labels": atlas.labels.astype(np.uint8),
        "labelled": atlas.labelled.astype(np.uint8),
        "embedding": atlas.embedding.astype(np.float32),
        "modality_attention": atlas.modality_attention.astype(np.float32),
        **({"calibrated_probabilities": atlas.calibrated_probabilities.astype(np.float32)}
           if atlas.calibrated_probabilities is not None else {}),
    }, {"modalities": list(atlas.modalities), "compartments": list(config.COMPARTMENTS)})
    (directory / "atlas.json").write_text(json.dumps({
        "names": list(atlas.names), "sequences": list(atlas.sequences),
        "mapping_source": list(atlas.mapping_source), "metadata": atlas.metadata}) + "\n")


MODEL_CARD = """# Network model (GTMALoc rebuilt from the raw networks)

Seven-compartment multi-label localization for the {n_mirnas:,} miRNAs of the PMiSLocMF/GTMALoc network benchmark.

- **No name-derived features.** The released model sees its networks and what is computed from a miRNA's
  sequence; nothing from its name (miRBase number, hairpin/mature naming, copy suffix, family name). The name
  features, and the length of the miRBase entry a name maps to (a hairpin ~80 nt, a mature ~22 nt: the naming
  again), are kept as an ablation only (`use_name_features`, off).
- Inputs: node2vec (pecanpy) embeddings of our sequence-similarity (Smith–Waterman, Eq. 1), miRNA–disease and
  miRNA–drug graphs{gt_input}; raw disease/drug association rows and log degrees. **The mRNA modality uses the
  published node2vec embedding (`miRNA_mRNA_network_feature_128.csv`) plus the co-localization feature**,
  because the miRNA–mRNA matrix is not public at a usable size.
- {conservation}and, fitted on the training miRNAs only, {profiles}
- Classifier: weighted average (weights {weights}) of six members: (i) the modality-attention fusion network
  ({n_tokens} tokens: {tokens}; its attention over the tokens is reported per miRNA), (ii) an L2
  logistic regression (C = {C}, inner CV) that also sees the raw association rows, (iii) an extra-trees forest
  ({tree_criterion} split criterion) on the tokens and label profiles,
  (iv) an extra-trees forest and (v) per-class gradient boosting on the compact
  profile (label profiles, conservation features, log degrees), and (vi) label propagation: the training labels
  spread by random walk with restart (continuation 0.5) over 20-nearest-neighbour graphs of functional (disease),
  drug, sequence and miRNA–mRNA-embedding similarity, averaged over the four graphs (no fitted parameters; a
  training miRNA never sees its own label). `model.safetensors` holds the fusion network, the
  scalers, the label-profile sums and the logistic coefficients; forests and boosting are not serialisable
  without pickle, so the released predictions for the {n_mirnas:,} network miRNAs are precomputed in the atlas (the
  network model cannot score new sequences anyway: its features exist only for network nodes).
- Protocol (a) {folds}-fold CV (seed {seed}): mean AUC {auc:.4f}, AUPR {aupr:.4f}.
{grid}{calibration}- Base rates (training prevalence of the {n_labelled} labelled miRNAs, atlas metadata
  `base_rates`): {base_rates}. A bar is informative only where it departs from its base rate.
- The embeddings are unsupervised and computed on all {n_mirnas:,} miRNAs (transductive, label-free).
- Atlas probabilities are out-of-fold for the {n_labelled:,} labelled miRNAs, from the full model for the {n_unlabelled:,} unlabelled.
- Only meaningful for these {n_mirnas:,} network miRNAs; a new sequence has no network features.
"""


def repeats_line(repeats: dict | None, reference: dict | None = None) -> str:
    """The protocol (d) line of the model card (only for repeats of the released name-free configuration), with
    where it stands against GTMALoc's published figures (``reference`` of ``network_cv.json``)."""
    if not repeats or repeats.get("configuration") != "released name-free":
        return ""
    line = (f"- Protocol (d), {len(repeats['auc'])} re-shuffled 10-fold runs (seeds {repeats['seeds'][0]}–"
            f"{repeats['seeds'][-1]}): mean AUC {repeats['auc_mean']:.4f} ± {repeats['auc_std']:.4f}, AUPR "
            f"{repeats['aupr_mean']:.4f} ± {repeats['aupr_std']:.4f}")
    gt = (reference or {}).get("GTMALoc")
    if gt:
        tie = " (within one seed-to-seed std: a tie)" if abs(repeats["auc_mean"] - gt[0]) < repeats["auc_std"] else ""
        line += (f"; GTMALoc publishes {gt[0]:.4f} / {gt[1]:.4f}: the name-free model is "
                 f"{'above' if repeats['auc_mean'] > gt[0] else 'below'} it in AUC{tie} and "
                 f"{'above' if repeats['aupr_mean'] > gt[1] else 'below'} it in AUPR on this mean")
    return line + ".\n"


def grid_lines(grid: dict | None, repeats_std: float | None = None) -> str:
    """The model card's lines on the shortcut grid of ``network_cv.json`` (``results.grid``), or ``""``: the
    released cell, the cell without names and conservation, the released cell with names, and what the graph
    transformer adds (said plainly when it is within the seed-to-seed spread)."""
    cells = (grid or {}).get("cells", {})
    released = (grid or {}).get("released")
    if released not in cells:
        return ""

    def other(name: str, value: bool) -> dict | None:
        key = " ".join((("+" if value else "-") + name) if part[1:] == name else part
                       for part in released.split())
        return cells.get(key)

    rel = cells[released]
    out = []
    names_on, no_cons = other("names", True), other("conservation", False)
    if names_on:
        out.append(f"with name features it would score {names_on['auc']:.4f} / {names_on['aupr']:.4f}")
    if no_cons:
        out.append(f"without conservation features {no_cons['auc']:.4f} / {no_cons['aupr']:.4f}")
    line = (f"- Shortcut grid (protocol (a), `network_cv.json` `results.grid`): released {rel['auc']:.4f} / "
            f"{rel['aupr']:.4f}" + ("; " + "; ".join(out) if out else "") + ".\n")
    gt = other("graph_transformer", not rel["graph_transformer"])
    if gt:
        with_gt, without = (rel, gt) if rel["graph_transformer"] else (gt, rel)
        delta = round(with_gt["auc"] - without["auc"], 4) + 0.0  # no "-0.0000"
        spread = max(0.002, repeats_std or 0.0)
        verdict = ("**the graph transformer adds nothing measurable**" if abs(delta) < spread or delta < 0 else
                   "the graph transformer adds a little")
        line += (f"- Graph transformer: AUC {with_gt['auc']:.4f} with it, {without['auc']:.4f} without "
                 f"({delta:+.4f}; seed-to-seed spread {spread:.4f}): {verdict}.\n")
    return line


def conservation_line(ablations: dict | None, released_auc: float) -> str:
    """The model card's line on what the conservation features add (protocol (e) ablations of
    ``network_cv.json``), or ``""`` before those ablations ran with the released configuration."""
    abl = ablations or {}
    keys = ("without_paralog_features", "without_species_conservation", "without_conservation_features")
    if not all(abl.get(k, {}).get("configuration") == "released name-free" for k in keys):
        return ""
    par = abl["without_paralog_features"]
    return (f"- Conservation features (protocol (a)): released {released_auc:.4f}; without the human-paralog counts "
            f"{par['auc']:.4f}, without the other-species counts {abl['without_species_conservation']['auc']:.4f}, "
            f"without either {abl['without_conservation_features']['auc']:.4f}. The paralog counts mark multi-copy "
            f"loci (hsa-mir-1-1, hsa-mir-1-2), whose labels differ from their umbrella entry's by annotation; "
            "without them the exosome and microvesicle AUCs are "
            f"{par['per_class_auc']['Exosome']:.3f} and {par['per_class_auc']['Microvesicle']:.3f} (per-compartment "
            "table in docs/benchmarks.md): read those bars of a multi-copy miRNA as annotation, not biology.\n")


def calibration_lines(report: dict | None) -> str:
    """The model card's calibration lines from :func:`mirloc_core.training.calibration.calibration_report`."""
    if not report:
        return ""
    per = ", ".join(f"{name} {v['ece_before']:.3f} → {v['ece_after']:.3f}"
                    for name, v in report["compartments"].items())
    m, iso = report["mean"], report.get("comparison_isotonic_cross_fitted")
    return (f"- Calibration ({report['method']}): mean Brier {m['brier_before']:.4f} → {m['brier_after']:.4f}, mean "
            f"ECE ({report['bins']} bins) {m['ece_before']:.4f} → {m['ece_after']:.4f}; per compartment ECE: {per}"
            + (f" (cross-fitted isotonic regression, released before 2026-12-06, for comparison: Brier "
               f"{iso['brier']:.4f}, ECE {iso['ece']:.4f}; its steps tie probabilities and lower the pooled AUC, "
               "while Platt scaling keeps each compartment's ranking)" if iso else "") + ". "
            "The atlas stores `calibrated_probabilities`; `calibration.json` holds the Platt parameters fitted "
            "on all out-of-fold rows; the reliability data are in `network_cv.json` (`results.calibration`).\n")


def model_card(metrics: dict, threshold: float, c: float, weights: tuple, n_mirnas: int, n_labelled: int,
               modalities: tuple = MODALITIES, folds: int = RELEASE_FOLDS, seed: int = 42,
               cfg: PipelineConfig | None = None, grid: dict | None = None, calibration: dict | None = None,
               base_rates: dict | None = None, repeats: dict | None = None, reference: dict | None = None,
               ablations: dict | None = None) -> str:
    """The model card text, every figure from its arguments: the protocol (a) ``metrics`` (``auc_10fold``,
    ``aupr_10fold``), the chosen ``T`` and ``C``, the ensemble ``weights`` (in :data:`MEMBERS` order), the
    numbers of network and labelled miRNAs and the modality tokens, the shortcut ``grid`` and ``calibration``
    report of ``network_cv.json`` and the ``base_rates``."""
    cfg = cfg or PipelineConfig()
    gt_input = (", refined by an edge-restricted graph transformer over the functional-similarity graph (disease-set "
                f"Jaccard + GIP kernel, binarised at T = {threshold}, chosen by inner CV)"
                if cfg.use_graph_transformer else "")
    conservation = ("Conservation features of its miRBase sequence (how many other species, and other human loci, "
                    "share its k-mers; `mirloc_core.features.conservation`; not the entry's length, which is the "
                    "naming again) "
                    if cfg.use_conservation_features else "")
    profiles = ("**label profiles**: for each disease (drug), the smoothed compartment rates of the miRNAs linked "
                "to it, averaged over a miRNA's diseases (drugs). Conservation features and label profiles carry "
                "study-age and literature signal (the same kind as the study-bias baseline)."
                if cfg.use_label_profiles else "no label profiles.")
    return MODEL_CARD.format(
        auc=metrics.get("auc_10fold", float("nan")), aupr=metrics.get("aupr_10fold", float("nan")),
        C=c, weights=", ".join(f"{n} {w:g}" for n, w in zip(MEMBERS, weights)),
        n_mirnas=n_mirnas, n_labelled=n_labelled, n_unlabelled=n_mirnas - n_labelled,
        n_tokens=len(modalities), tokens=", ".join(modalities), folds=folds, seed=seed, gt_input=gt_input,
        conservation=conservation, profiles=profiles, tree_criterion=cfg.tree_criterion,
        grid=(repeats_line(repeats, reference) + grid_lines(grid, (repeats or {}).get("auc_std"))
              + conservation_line(ablations, metrics.get("auc_10fold", float("nan")))),
        calibration=calibration_lines(calibration),
        base_rates=", ".join(f"{k} {v:.2f}" for k, v in (base_rates or {}).items()) or "n/a")


def _model_tensors(model: NetworkModel) -> dict:
    """The serialisable parts of a fitted model: fusion network, scalers, label-profile sums, logistic
    coefficients."""
    import torch

    fusion = model.members_.get("fusion_network")
    tensors = {f"fusion.{k}": v for k, v in fusion.state_dict().items()} if fusion is not None else {}
    for k in model.mean_:
        tensors[f"scaler.{k}.mean"] = model.mean_[k]
        tensors[f"scaler.{k}.std"] = model.std_[k]
    for m, (positives, counts) in model.profile_sums_.items():
        tensors[f"label_profile.{m}.positives"] = positives.astype(np.float32)
        tensors[f"label_profile.{m}.counts"] = counts.astype(np.float32)
    tensors["label_profile.prior"] = np.asarray(model.prior_, np.float32)
    for k, lm in enumerate(model.members_.get("logistic") or []):
        if not isinstance(lm, float):
            tensors[f"logistic.{k}.coef"] = lm.coef_.astype(np.float32)
            tensors[f"logistic.{k}.intercept"] = lm.intercept_.astype(np.float32)
    return {k: (v.float() if isinstance(v, torch.Tensor) else v) for k, v in tensors.items()}


def _model_metadata(model: NetworkModel, cfg: PipelineConfig) -> dict:
    from mirloc_core.features.conservation import OWN_FEATURES, own_columns

    return {"modalities": list(model.modalities_),
            "input_dims": [int(model.mean_[m].shape[0]) for m in model.modalities_],
            "threshold_T": model.threshold_, "logistic_C": model.c_,
            "ensemble_members": list(MEMBERS), "ensemble_weights": list(cfg.weights),
            "name_features": list(NAME_FEATURES) if cfg.use_name_features else [],
            "conservation_features": ([OWN_FEATURES[i] for i in own_columns(cfg.conservation_kinds)]
                                      if cfg.use_conservation_features else [])}


def _atlas(net, model: NetworkModel, prob, attention, embedding, oof, oof_attention,
           calibrated: np.ndarray | None = None, base_rates: dict | None = None) -> NetworkAtlas:
    from mirloc_core.io.data import map_names_to_sequences

    idx = net.labelled_index
    probabilities = prob.copy()
    probabilities[idx] = oof
    if oof_attention is not None and oof_attention.shape[1] == attention.shape[1]:
        attention = attention.copy()
        attention[idx] = oof_attention
    mapping = map_names_to_sequences()
    return NetworkAtlas(
        names=list(net.names), sequences=mapping["sequence"].fillna("").tolist(),
        mapping_source=mapping["source"].tolist(), probabilities=probabilities, out_of_fold=net.labelled.copy(),
        labels=net.labels.astype(np.int64), labelled=net.labelled.copy(),
        embedding=embedding if embedding is not None else np.zeros((len(net.names), 1), np.float32),
        modality_attention=attention, modalities=model.modalities_, calibrated_probabilities=calibrated,
        metadata={"threshold_T": model.threshold_, "logistic_C": model.c_, "base_rates": base_rates or {},
                  "name_features": bool(model.cfg.use_name_features),
                  "note": ATLAS_NOTE})


def _calibration(prob: np.ndarray, oof: np.ndarray, y: np.ndarray, idx: np.ndarray, folds: list) -> tuple:
    """(calibrated probabilities of all rows, released calibrator JSON): cross-fitted for the labelled rows
    ``idx``, through the calibrator fitted on all of ``oof`` for the others."""
    from mirloc_core.training.calibration import apply_calibrator, cross_fitted, fit_calibrator

    # both as stored in the atlas (float32), so that ``--calibration-only`` reproduces them exactly
    prob, oof = (np.asarray(a, np.float32).astype(np.float64) for a in (prob, oof))
    calibrator = fit_calibrator(oof, y)
    calibrated = apply_calibrator(prob, calibrator)
    calibrated[idx] = cross_fitted(oof, y, folds)
    payload = {"method": "Platt scaling per compartment on the protocol (a) out-of-fold probabilities of the "
                         f"{len(idx)} labelled miRNAs; apply as 1 / (1 + exp(-(a * logit(p) + b))), p clipped to "
                         "[1e-6, 1 - 1e-6]",
               "compartments": dict(zip(config.COMPARTMENTS, calibrator))}
    return calibrated.astype(np.float32), payload


def _write_card(out_dir: Path, metrics: dict, threshold: float, c: float, cfg: PipelineConfig, n_mirnas: int,
                n_labelled: int, modalities: tuple, base_rates: dict, benchmark: dict) -> None:
    """``model_card.md`` of a release, quoting ``benchmark`` (the payload of ``network_cv.json``)."""
    results = benchmark.get("results", {})
    (out_dir / "model_card.md").write_text(model_card(
        metrics, threshold, c, cfg.weights, n_mirnas, n_labelled, modalities, RELEASE_FOLDS, cfg.seed, cfg=cfg,
        grid=results.get("grid"), calibration=results.get("calibration"), base_rates=base_rates,
        repeats=results.get("protocol_d_repeats"), reference=benchmark.get("reference"),
        ablations=results.get("protocol_e_ablations")))


def release(cfg: PipelineConfig, out_dir: Path | None = None, metrics: dict | None = None,
            oof: np.ndarray | None = None, oof_attention: np.ndarray | None = None, timings: dict | None = None,
            command: str | None = None, jobs: int = 1, device=None, cache_dir: Path | None = None,
            benchmark: dict | None = None) -> NetworkAtlas:
    """Train on all labelled miRNAs and write ``out_dir`` (default ``weights/network/``: model, atlas with
    calibrated probabilities and base rates, ``calibration.json``, card, manifest).

    When ``oof`` (the 10-fold out-of-fold probabilities of protocol (a)) is not given it is computed here
    (``jobs`` folds in parallel). Features are read from (or cached under) ``cache_dir``; the fusion networks
    train on ``device``. ``benchmark``: the payload of ``network_cv.json``, whose shortcut grid and calibration
    report the model card quotes.
    """
    from mirloc_core.io.artifacts import save_tensors, write_manifest
    from mirloc_core.io.data import data_fingerprint, load_network

    timings = {} if timings is None else timings
    out_dir = Path(out_dir) if out_dir is not None else config.weights_dir() / "network"
    net = load_network()
    idx = net.labelled_index
    y_all = net.labels.astype(np.float64)
    sets = feature_sets(cfg.feature_config(), timings, cache_dir, device)
    folds = gtmaloc_folds(len(idx), RELEASE_FOLDS, cfg.seed)
    if oof is None:
        res = network_cv(labelled_sets(sets, idx), y_all[idx], folds, cfg, jobs=jobs, device=device)
        oof, oof_attention = res["oof"], res["attention"]
        metrics = metrics or {"auc_10fold": res["auc"], "aupr_10fold": res["aupr"]}
    start = time.perf_counter()
    model = NetworkModel(sets, cfg, cfg.seed, device).fit(idx, y_all[idx])
    prob, attention, embedding, _ = model.predict_details(np.arange(len(net.names)))
    timings["release_fit_s"] = round(time.perf_counter() - start, 2)
    calibrated, calibrator = _calibration(prob, oof, y_all[idx], idx, folds)
    base_rates = {c: float(v) for c, v in zip(config.COMPARTMENTS, y_all[idx].mean(0))}
    atlas = _atlas(net, model, prob, attention, embedding, oof, oof_attention, calibrated, base_rates)
    if out_dir.exists():
        for old in out_dir.iterdir():
            if old.is_file():
                old.unlink()
    save_atlas(atlas, out_dir)
    (out_dir / CALIBRATION_FILE).write_text(json.dumps(calibrator, indent=1) + "\n")
    save_tensors(out_dir / MODEL_FILE, _model_tensors(model), _model_metadata(model, cfg))
    _write_card(out_dir, metrics or {}, model.threshold_, model.c_, cfg, len(net.names), len(idx), model.modalities_,
                base_rates, benchmark or {})
    write_manifest(out_dir, "network", metrics=metrics or {}, config={**asdict(cfg), "timings": timings},
                   data=data_fingerprint(("network1041", "mirbase22")), command=command)
    return atlas


def recalibrate(out_dir: Path, benchmark: dict) -> NetworkAtlas:
    """``train network --calibration-only``: the released atlas's calibrated probabilities, ``calibration.json``,
    the model card and the manifest rewritten from the atlas's own probabilities (out-of-fold for the labelled
    rows) and the calibration report of ``benchmark`` (``network_cv.json``); the model and every probability
    kept. The manifest's settings and metrics are kept, this command appended to its command.

    Raises
    ------
    ArtifactError
        Without a manifest, or when a file it keeps (the model, the atlas) does not match it.
    """
    from dataclasses import fields, replace

    from mirloc_core.io.artifacts import ArtifactError, command_line, read_json, write_manifest
    from mirloc_core.io.data import data_fingerprint, file_sha256
    from mirloc_core.pretrained import read_atlas

    old = read_json(out_dir / "manifest.json")
    if old is None:
        raise ArtifactError(f"--calibration-only: no {out_dir / 'manifest.json'} (release the model first)")
    for name, digest in old["files"].items():  # what it keeps and reads must be the released files
        if name not in (CALIBRATION_FILE, "model_card.md") and file_sha256(out_dir / name) != digest:
            raise ArtifactError(f"--calibration-only: {out_dir / name} does not match its manifest")
    known = {f.name for f in fields(PipelineConfig)}
    cfg = PipelineConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in old["config"].items() if k in known})
    atlas = read_atlas(out_dir)
    idx = np.flatnonzero(atlas.out_of_fold)
    y = atlas.labels[idx].astype(np.float64)
    folds = gtmaloc_folds(len(idx), RELEASE_FOLDS, cfg.seed)
    calibrated, calibrator = _calibration(atlas.probabilities, atlas.probabilities[idx], y, idx, folds)
    atlas = replace(atlas, calibrated_probabilities=calibrated, metadata={**atlas.metadata, "note": ATLAS_NOTE})
    save_atlas(atlas, out_dir)
    (out_dir / CALIBRATION_FILE).write_text(json.dumps(calibrator, indent=1) + "\n")
    _write_card(out_dir, old["metrics"], atlas.metadata["threshold_T"], atlas.metadata["logistic_C"], cfg,
                len(atlas.names), len(idx), atlas.modalities, atlas.metadata["base_rates"], benchmark)
    write_manifest(out_dir, "network", metrics=old["metrics"], config=old["config"],
                   data=data_fingerprint(("network1041", "mirbase22")), command=f"{old['command']} && {command_line()}")
    return atlas


def cli_train(argv: list[str]) -> int:
    """``python -m mirloc_core train network``: train on all 901 labelled miRNAs and release weights/network/."""
    import torch

    parser = argparse.ArgumentParser(prog="python -m mirloc_core train network")
    parser.add_argument("--out", default=None, help="output directory (default weights/network)")
    parser.add_argument("--device", default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1, help="CV folds fitted in parallel worker processes")
    parser.add_argument("--oof", default=None, metavar="NPZ",
                        help="reuse the protocol (a) out-of-fold run of the benchmark (network_oof.npz written by "
                             "`benchmark network --grid`; its network_cv.json beside it feeds the model card)")
    parser.add_argument("--calibration-only", action="store_true",
                        help="rewrite only the calibration (atlas, calibration.json, card, manifest) from the "
                             "released atlas and network_cv.json; the model and its probabilities kept")
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, args.threads))
    settings = config.Settings.from_env(device=args.device, jobs=max(1, args.jobs))
    timings: dict = {}
    out = Path(args.out) if args.out else settings.weights_dir / "network"
    if args.calibration_only:
        from mirloc_core.io.artifacts import read_json

        recalibrate(out, read_json(settings.results_dir / "network_cv.json", {}) or {})
        print(f"[network] wrote the calibration, the model card and the manifest to {out} (model kept)")
        return 0
    kwargs: dict = {}
    if args.oof:
        saved = np.load(args.oof, allow_pickle=False)
        bench = Path(args.oof).parent / "network_cv.json"
        kwargs = {"oof": saved["oof"], "oof_attention": saved["attention"],
                  "metrics": {"auc_10fold": float(saved["auc"]), "aupr_10fold": float(saved["aupr"])},
                  "benchmark": json.loads(bench.read_text()) if bench.is_file() else None}
    atlas = release(PipelineConfig(), out, timings=timings, jobs=settings.jobs, device=settings.device,
                    cache_dir=settings.cache_dir, **kwargs)
    print(f"[network] released {len(atlas.names)} miRNAs to {out} ({timings})")
    return 0

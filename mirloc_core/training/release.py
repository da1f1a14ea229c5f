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
RELEASE_FOLDS = 10
"""Folds of the out-of-fold probabilities stored in the atlas (protocol (a))."""


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
    }, {"modalities": list(atlas.modalities), "compartments": list(config.COMPARTMENTS)})
    (directory / "atlas.json").write_text(json.dumps({
        "names": list(atlas.names), "sequences": list(atlas.sequences),
        "mapping_source": list(atlas.mapping_source), "metadata": atlas.metadata}) + "\n")


MODEL_CARD = """# Network model (GTMALoc rebuilt from the raw networks)

Seven-compartment multi-label localization for the {n_mirnas:,} miRNAs of the PMiSLocMF/GTMALoc network benchmark.

- Inputs: node2vec (pecanpy) embeddings of our sequence-similarity (Smith–Waterman, Eq. 1), miRNA–disease and
  miRNA–drug graphs, refined by an edge-restricted graph transformer over the functional-similarity graph
  (disease-set Jaccard + GIP kernel, binarised at T = {T}, chosen by inner CV); raw disease/drug association
  rows and log degrees. **The mRNA modality uses the published node2vec embedding
  (`miRNA_mRNA_network_feature_128.csv`) plus the co-localization feature**, because the miRNA–mRNA matrix is
  not public at a usable size.
- Name features of each network miRNA (how the name maps to miRBase, miRBase number ≈ discovery order,
  letter and copy suffixes), conservation features of its miRBase sequence (how many other species, and other
  human loci, share its k-mers; `mirloc_core.features.conservation`) and, fitted on the training miRNAs only, **label
  profiles**: for each disease (drug),
  the smoothed compartment rates of the miRNAs linked to it, averaged over a miRNA's diseases (drugs).
- Classifier: weighted average (weights {weights}) of five members: (i) the modality-attention fusion network
  ({n_tokens} tokens: {tokens}; its attention over the tokens is reported per miRNA), (ii) an L2
  logistic regression (C = {C}, inner CV) that also sees the raw association rows, (iii) an extra-trees forest on
  the tokens and label profiles, (iv) an extra-trees forest and (v) per-class gradient boosting on the compact
  profile (label profiles, name and conservation features, log degrees). `model.safetensors` holds the fusion network, the
  scalers, the label-profile sums and the logistic coefficients; forests and boosting are not serialisable
  without pickle, so the released predictions for the {n_mirnas:,} network miRNAs are precomputed in the atlas (the
  network model cannot score new sequences anyway: its features exist only for network nodes).
- Name features, conservation features and label profiles carry study-age and literature signal (the same kind
  as the study-bias baseline); the benchmark's ablations `without_name_features`, `without_conservation_features`
  and `without_label_profiles` measure them.
- Protocol (a) {folds}-fold CV (seed {seed}): mean AUC {auc:.4f}, AUPR {aupr:.4f}.
- The embeddings are unsupervised and computed on all {n_mirnas:,} miRNAs (transductive, label-free).
- Atlas probabilities are out-of-fold for the {n_labelled:,} labelled miRNAs, from the full model for the {n_unlabelled:,} unlabelled.
- Only meaningful for these {n_mirnas:,} network miRNAs; a new sequence has no network features.
"""


def model_card(metrics: dict, threshold: float, c: float, weights: tuple, n_mirnas: int, n_labelled: int,
               modalities: tuple = MODALITIES, folds: int = RELEASE_FOLDS, seed: int = 42) -> str:
    """The model card text, every figure from its arguments: the protocol (a) ``metrics`` (``auc_10fold``,
    ``aupr_10fold``), the chosen ``T`` and ``C``, the ensemble ``weights`` (in :data:`MEMBERS` order), the
    numbers of network and labelled miRNAs and the modality tokens."""
    return MODEL_CARD.format(
        auc=metrics.get("auc_10fold", float("nan")), aupr=metrics.get("aupr_10fold", float("nan")),
        T=threshold, C=c, weights=", ".join(f"{n} {w:g}" for n, w in zip(MEMBERS, weights)),
        n_mirnas=n_mirnas, n_labelled=n_labelled, n_unlabelled=n_mirnas - n_labelled,
        n_tokens=len(modalities), tokens=", ".join(modalities), folds=folds, seed=seed)


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
    from mirloc_core.features.conservation import FEATURES as CONSERVATION_FEATURES

    return {"modalities": list(model.modalities_),
            "input_dims": [int(model.mean_[m].shape[0]) for m in model.modalities_],
            "threshold_T": model.threshold_, "logistic_C": model.c_,
            "ensemble_members": list(MEMBERS), "ensemble_weights": list(cfg.weights),
            "name_features": list(NAME_FEATURES) if cfg.use_name_features else [],
            "conservation_features": list(CONSERVATION_FEATURES) if cfg.use_conservation_features else []}


def _atlas(net, model: NetworkModel, prob, attention, embedding, oof, oof_attention) -> NetworkAtlas:
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
        modality_attention=attention, modalities=model.modalities_,
        metadata={"threshold_T": model.threshold_, "logistic_C": model.c_,
                  "note": "probabilities are out-of-fold (10-fold CV, seed 42) where out_of_fold is true; "
                          "the mRNA modality uses the published node2vec embedding + co-localization feature "
                          "because the miRNA-mRNA matrix is not public"})


def release(cfg: PipelineConfig, out_dir: Path | None = None, metrics: dict | None = None,
            oof: np.ndarray | None = None, oof_attention: np.ndarray | None = None, timings: dict | None = None,
            command: str | None = None, jobs: int = 1, device=None, cache_dir: Path | None = None) -> NetworkAtlas:
    """Train on all labelled miRNAs and write ``out_dir`` (default ``weights/network/``: model, atlas, card,
    manifest).

    When ``oof`` (the 10-fold out-of-fold probabilities of protocol (a)) is not given it is computed here
    (``jobs`` folds in parallel). Features are read from (or cached under) ``cache_dir``; the fusion networks
    train on ``device``.
    """
    from mirloc_core.io.artifacts import save_tensors, write_manifest
    from mirloc_core.io.data import data_fingerprint, load_network

    timings = {} if timings is None else timings
    out_dir = Path(out_dir) if out_dir is not None else config.weights_dir() / "network"
    net = load_network()
    idx = net.labelled_index
    y_all = net.labels.astype(np.float64)
    sets = feature_sets(cfg.feature_config(), timings, cache_dir, device)
    if oof is None:
        res = network_cv(labelled_sets(sets, idx), y_all[idx], gtmaloc_folds(len(idx), RELEASE_FOLDS, cfg.seed), cfg,
                         jobs=jobs, device=device)
        oof, oof_attention = res["oof"], res["attention"]
        metrics = metrics or {"auc_10fold": res["auc"], "aupr_10fold": res["aupr"]}
    start = time.perf_counter()
    model = NetworkModel(sets, cfg, cfg.seed, device).fit(idx, y_all[idx])
    prob, attention, embedding, _ = model.predict_details(np.arange(len(net.names)))
    timings["release_fit_s"] = round(time.perf_counter() - start, 2)
    atlas = _atlas(net, model, prob, attention, embedding, oof, oof_attention)
    if out_dir.exists():
        for old in out_dir.iterdir():
            if old.is_file():
                old.unlink()
    save_atlas(atlas, out_dir)
    save_tensors(out_dir / MODEL_FILE, _model_tensors(model), _model_metadata(model, cfg))
    (out_dir / "model_card.md").write_text(model_card(metrics or {}, model.threshold_, model.c_, cfg.weights,
                                                      len(net.names), len(idx), model.modalities_,
                                                      RELEASE_FOLDS, cfg.seed))
    write_manifest(out_dir, "network", metrics=metrics or {}, config={**asdict(cfg), "timings": timings},
                   data=data_fingerprint(("network1041", "mirbase22")), command=command)
    return atlas


def cli_train(argv: list[str]) -> int:
    """``python -m mirloc_core train network``: train on all 901 labelled miRNAs and release weights/network/."""
    import torch

    parser = argparse.ArgumentParser(prog="python -m mirloc_core train network")
    parser.add_argument("--out", default=None, help="output directory (default weights/network)")
    parser.add_argument("--device", default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1, help="CV folds fitted in parallel worker processes")
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, args.threads))
    settings = config.Settings.from_env(device=args.device, jobs=max(1, args.jobs))
    timings: dict = {}
    out = Path(args.out) if args.out else settings.weights_dir / "network"
    atlas = release(PipelineConfig(), out, timings=timings, jobs=settings.jobs, device=settings.device,
                    cache_dir=settings.cache_dir)
    print(f"[network] released {len(atlas.names)} miRNAs to {out} ({timings})")
    return 0

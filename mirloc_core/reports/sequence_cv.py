"""Cross-validation of the sequence models: the binary call, its label audit, and the seven compartments.

Every loop runs through :func:`mirloc_core.training.cv.cross_validate` with the fold schemes of
:mod:`mirloc_core.training.cv` (shuffled, seeded: a repeat ``rep`` uses ``random_state=rep``), so each figure
of ``benchmarks/results/sequence_cv.json`` is reproducible bit for bit on the same machine.

* :func:`binary_cv` — RNALoc-LM's train.tsv, stratified K-fold (strata: label × mature/precursor), the neural
  ensemble as a :class:`~mirloc_core.training.sequence.SequenceModelEstimator`;
* :func:`length_rule_cv` — the ≤ 30 nt rule, as an estimator, on the same folds;
* :func:`binary_label_audit` — what the labels leave to learn beyond the mature/precursor split, with a
  within-stratum kNN-SW model;
* :func:`sevencomp_cv` — the released seven-compartment blend and each of its parts on hairpins and matures,
  folds grouped by gene (``random``) or by homology, with mature-only / hairpin-only scores
  (:func:`strata_scores`) and cross-fitted isotonic calibration (:func:`calibration_cv`);
  :func:`seven_part_runs` is its fold loop (usable without the neural part);
* :func:`discovery_cv` — the discovery-order split (train on the oldest ~80% by miRBase accession).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone

from mirloc_core.config import COMPARTMENTS
from mirloc_core.features.alignment import KNN_K, knn_transfer, sequence_homology_groups, sw_similarity_matrix
from mirloc_core.training import cv
from mirloc_core.training.sequence import (
    BINARY_CONFIG, EPOCHS, SEVEN_CONFIG, SEVEN_CONSERVATION_WEIGHT, SEVEN_KNN_BLEND, SEVEN_ROWS_NOTE, LengthRule,
    SequenceInputs, SequenceModelEstimator, SevenRows, apply_calibrator, binary_dataset, fit_calibrator,
    label_conflicts, length_rule, seven_dataset, seven_training_rows)

ABLATIONS = {
    "onehot": dict(BINARY_CONFIG, encoders=("onehot",), globals=("length",)),
    "kmer": dict(BINARY_CONFIG, encoders=("kmer",), globals=("length", "kmerfreq")),
    "lm": dict(BINARY_CONFIG, encoders=("lm",), globals=("length",)),
}
"""Binary configurations with one encoder each (the ablation rows of the benchmark)."""

# ============================================================================================ binary


def strata_metrics(y: np.ndarray, call: np.ndarray, kind: np.ndarray, score: np.ndarray | None = None) -> dict:
    """:func:`~mirloc_core.training.cv.binary_metrics` overall and within each stratum (mature, precursor)."""
    score = call if score is None else score
    out = {"overall": cv.binary_metrics(y, call, score)}
    for stratum in ("mature", "precursor"):
        sel = kind == stratum
        out[stratum] = cv.binary_metrics(y[sel], call[sel], score[sel])
    return out


def strata_mean_std(runs: list[dict]) -> dict:
    """{stratum: {metric: {mean, std, runs}}} from a list of per-repeat {stratum: {metric: value}}."""
    out = {}
    for stratum in runs[0]:
        out[stratum] = {}
        for metric in runs[0][stratum]:
            values = [r[stratum][metric] for r in runs]
            out[stratum][metric] = {**cv.mean_std(values), "runs": [round(float(v), 4) for v in values]}
    return out


def binary_strata(y: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """The strata of the binary CV: label × (mature or not)."""
    return y[:, 0].astype(int) * 2 + (kind == "mature")


def length_rule_cv(repeats: int = 1, folds: int = 5) -> dict:
    """The length rule (:class:`~mirloc_core.training.sequence.LengthRule`) on the folds of :func:`binary_cv`:
    {stratum: {metric: {mean, std, runs}}} (it learns nothing, so every repeat gives the same figures)."""
    seqs, y, kind = binary_dataset()
    x = np.asarray(seqs, dtype=object)
    runs = []
    for rep in range(repeats):
        run = cv.cross_validate(LengthRule(), cv.stratified_splits(binary_strata(y, kind), folds, rep), x, y)
        prob = run.oof(n=len(seqs))[:, 0]
        runs.append(strata_metrics(y[:, 0].astype(int), (prob >= 0.5).astype(int), kind, prob))
    return strata_mean_std(runs)


def binary_cv(cfg_dict: dict, lm, repeats: int = 5, folds: int = 5, seeds=(0,), epochs: int = EPOCHS,
              log=print, device: str | None = None) -> dict:
    """Stratified k-fold CV (strata: label × kind) on train.tsv, repeated with different splits; member seeds
    of repeat ``rep`` are ``100 * rep + s`` for ``s`` in ``seeds``."""
    seqs, y, kind = binary_dataset()
    estimator = SequenceModelEstimator(cfg_dict, None, tuple(seeds), epochs, device=device)  # LM: in the inputs
    cfg = estimator.model_config
    inputs = SequenceInputs(seqs, cfg, lm)
    runs, start = [], time.perf_counter()
    for rep in range(repeats):
        model = clone(estimator).set_params(seeds=tuple(100 * rep + s for s in seeds))
        run = cv.cross_validate(model, cv.stratified_splits(binary_strata(y, kind), folds, rep), inputs, y)
        prob = run.oof(n=len(seqs))[:, 0]
        runs.append(strata_metrics(y[:, 0].astype(int), (prob >= 0.5).astype(int), kind, prob))
        log(f"  repeat {rep + 1}/{repeats}: acc {runs[-1]['overall']['acc']:.4f} "
            f"mature {runs[-1]['mature']['acc']:.4f} precursor {runs[-1]['precursor']['acc']:.4f} "
            f"({time.perf_counter() - start:.0f}s)")
    return {"config": cfg.to_dict(), "seeds_per_fold": len(seeds), "repeats": repeats, "folds": folds,
            "epochs": epochs, "metrics": strata_mean_std(runs), "seconds": round(time.perf_counter() - start, 1)}


AUDIT_K = 5
"""Neighbours of the within-stratum kNN-SW model of :func:`binary_label_audit` (fixed, not tuned)."""


def _within_stratum_knn(sim: np.ndarray, y: np.ndarray, kind: np.ndarray, k: int):
    """``fit_predict`` of the audit's kNN-SW: each test miRNA gets the similarity-weighted labels of its ``k``
    most similar training miRNAs of the same stratum."""
    def fit_predict(train, test, fold):
        score = np.zeros(len(test))
        for stratum in ("mature", "precursor"):
            trs, sel = train[kind[train] == stratum], kind[test] == stratum
            score[sel] = knn_transfer(sim[np.ix_(test[sel], trs)], y[trs][:, None].astype(float), k)[:, 0]
        return score

    return fit_predict


def binary_label_audit(repeats: int = 5, folds: int = 5, k: int = AUDIT_K, goal_acc: float = 0.93) -> dict:
    """What RNALoc-LM's training labels leave to learn from sequence beyond the mature/precursor split.

    Counts each stratum's labels (the length rule errs exactly on the extracellular precursors and the
    intracellular matures), the mature-in-precursor pairs of the training set and how many carry opposite
    labels, how many more miRNAs a model must get right to reach ``goal_acc``, and a sequence-only model that
    uses nothing but homology inside each stratum (5-fold CV stratified by label, seeded like :func:`binary_cv`:
    similarity-weighted labels of the ``k`` most Smith–Waterman-similar training miRNAs of the same stratum).
    """
    seqs, y, kind = binary_dataset()
    y = y[:, 0].astype(int)
    n = len(seqs)
    counts = {s: {"extracellular": int(((kind == s) & (y == 0)).sum()),
                  "intracellular": int(((kind == s) & (y == 1)).sum())} for s in ("mature", "precursor")}
    rule_errors = int((length_rule(seqs) != y).sum())
    matures, precursors = np.flatnonzero(kind == "mature"), np.flatnonzero(kind == "precursor")
    pairs = [(i, j) for i in matures for j in precursors if seqs[i] in seqs[j]]
    start = time.perf_counter()
    knn = _within_stratum_knn(sw_similarity_matrix(seqs), y, kind, k)
    runs = []
    for rep in range(repeats):
        score = cv.cross_validate(knn, cv.stratified_splits(y, folds, rep)).oof(n=n)
        runs.append(strata_metrics(y, (score > 0.5).astype(int), kind, score))
    allowed = int(np.floor((1 - goal_acc) * n))
    return {"n": n, "labels_by_stratum": counts,
            "length_rule_errors": rule_errors,
            "length_rule_errors_are": "the extracellular precursors and the intracellular matures",
            "errors_allowed_at_goal": allowed, "goal_acc": goal_acc, "must_fix_net": rule_errors - allowed,
            "mature_in_precursor_pairs": len(pairs),
            "pairs_with_opposite_labels": int(sum(y[i] != y[j] for i, j in pairs)),
            "pairs_mature_extracellular_precursor_intracellular": int(sum(y[i] == 0 and y[j] == 1 for i, j in pairs)),
            "knn_sw_within_stratum": {"k": k, "repeats": repeats, "folds": folds, "metrics": strata_mean_std(runs),
                                      "what": f"similarity-weighted labels of the {k} most SW-similar training "
                                              "miRNAs of the same stratum (mature / precursor); k fixed a priori"},
            "seconds": round(time.perf_counter() - start, 1)}


# ============================================================================================ seven compartments

FRESH_SEEDS = (100, 101, 102, 103, 104)
"""Shuffle seeds of the seven-compartment check on splits never looked at while designing the model."""
SEVEN_SELECTION_NOTE = (
    "The conservation head's design (its own-sequence features, including the 6 human-paralog features added on "
    "2026-12-01, and C = 0.1, unchanged) was chosen by comparing variants on repeats 0-2 of these random folds and "
    "repeats 0-1 of the homology folds, so the headline figures carry a mild optimistic bias; fresh_shuffles "
    "repeats the head alone on shuffles never looked at. The host-hairpin features (2026-12-04: a mature also gets "
    "the conservation features of the human hairpins containing it) and the blend weights (0.85 conservation, "
    "0.25 kNN-SW within the rest) were chosen on development shuffles 7-9 (weights: shuffle 7 with the neural "
    "part), not on the reported folds.")


@dataclass
class SevenData:
    """Everything the seven-compartment CV reads: the training rows (hairpins and matures of each labelled
    network miRNA, :func:`~mirloc_core.training.sequence.seven_training_rows`), the CV groups of the split, the
    SW similarity, the study-bias score of each row's gene and the conservation features."""

    split: str
    rows: SevenRows
    groups: np.ndarray
    sim: np.ndarray
    bias: np.ndarray
    features: np.ndarray
    no_paralogs: list

    @property
    def own_features(self) -> list:
        """Columns of the sequence's own conservation features (no host features)."""
        from mirloc_core.features.conservation import FEATURES, OWN_FEATURES

        return [FEATURES.index(name) for name in OWN_FEATURES]

    @property
    def seqs(self) -> list:
        return self.rows.seqs

    @property
    def y(self) -> np.ndarray:
        return self.rows.y

    @property
    def kind(self) -> np.ndarray:
        return self.rows.kind

    @classmethod
    def load(cls, split: str = "random") -> "SevenData":
        from mirloc_core.features.conservation import FEATURES, conservation_features
        from mirloc_core.io.data import load_network

        rows = seven_training_rows()
        groups = rows.groups
        if split == "homology":
            groups = cv.merged_groups(groups, sequence_homology_groups(rows.seqs, rows.names))
        net = load_network()
        return cls(split, rows, groups, sw_similarity_matrix(rows.seqs),
                   (net.disease.sum(1) + net.drug.sum(1))[rows.rows], conservation_features(rows.seqs),
                   [i for i, name in enumerate(FEATURES) if "paralogs" not in name])

    def splits(self, rep: int, folds: int) -> list:
        """The (train, test) pairs of repeat ``rep``: seeded group K-fold over the split's groups (``random``:
        gene ∪ identical sequence; ``homology``: that ∪ family ∪ SW similarity ≥ 0.8)."""
        return cv.group_kfold_splits(self.groups, folds, rep)


def _seven_fit_predict(data: SevenData, inputs: SequenceInputs | None, estimator: SequenceModelEstimator | None):
    """``fit_predict`` of one fold: the neural ensemble (when ``estimator``), kNN-SW, and the conservation head
    with and without its paralog features."""
    from mirloc_core.features.conservation import fit_head, predict_head

    y, x, keep = data.y, data.features, data.no_paralogs

    def fit_predict(train, test, fold):
        out = {}
        if estimator is not None:
            out["neural"] = clone(estimator).fit(inputs[train], y[train]).predict_proba(inputs[test])
        out["knn"] = knn_transfer(data.sim[np.ix_(test, train)], y[train])
        out["cons"] = predict_head(fit_head(x[train], y[train]), x[test])
        out["cons_np"] = predict_head(fit_head(x[np.ix_(train, keep)], y[train]), x[np.ix_(test, keep)])
        own = data.own_features
        out["cons_own"] = predict_head(fit_head(x[np.ix_(train, own)], y[train]), x[np.ix_(test, own)])
        return out

    return fit_predict


def seven_part_runs(data: SevenData, reps, folds: int = 10, estimator: SequenceModelEstimator | None = None,
                    inputs: SequenceInputs | None = None, seeds=(0,)) -> list[dict]:
    """Out-of-fold outputs of each part, one dict per repeat in ``reps``: ``knn`` and ``neural`` (float32, as
    the labels), ``cons`` and ``cons_np`` (float64); ``neural`` only with an ``estimator`` (its member seeds in
    repeat ``rep``: ``100 * rep + s`` for ``s`` in ``seeds``)."""
    n, out = len(data.seqs), []
    for rep in reps:
        model = None if estimator is None else clone(estimator).set_params(seeds=tuple(100 * rep + s for s in seeds))
        run = cv.cross_validate(_seven_fit_predict(data, inputs, model), data.splits(rep, folds))
        parts = {"knn": run.oof("knn", n).astype(data.y.dtype), "cons": run.oof("cons", n),
                 "cons_np": run.oof("cons_np", n), "cons_own": run.oof("cons_own", n)}
        if model is not None:
            parts["neural"] = run.oof("neural", n).astype(data.y.dtype)
        out.append(parts)
    return out


def runs_mean(runs: list[dict]) -> dict:
    """Mean AUC and AUPR over repeats (4 decimals)."""
    return {"auc": round(float(np.mean([r["auc"] for r in runs])), 4),
            "aupr": round(float(np.mean([r["aupr"] for r in runs])), 4)}


def fresh_shuffles(data: SevenData, folds: int = 10, seeds=FRESH_SEEDS) -> dict:
    """The conservation head alone, with and without its paralog features, on shuffles ``seeds``."""
    runs = seven_part_runs(data, seeds, folds)
    scores = {key: [cv.multilabel_scores(data.y, r[part]) for r in runs]
              for key, part in (("head_alone", "cons"), ("head_alone_without_paralogs", "cons_np"))}
    return {"seeds": list(seeds), **{key: runs_mean(s) for key, s in scores.items()},
            "per_compartment_auc": {key: {c: round(float(np.mean([r["per_compartment"][c]["auc"] for r in s])), 4)
                                          for c in s[0]["per_compartment"]} for key, s in scores.items()},
            "what": "the conservation head alone (with and without the paralog features) on shuffles whose "
                    "seeds were never used while choosing the features; see selection_note"}


def _blends(parts: dict, knn_blend: float, w_cons: float) -> dict:
    """The released blend (with and without the paralog features) and the blend without conservation."""
    without = (1 - knn_blend) * parts["neural"] + knn_blend * parts["knn"]
    return {"released": w_cons * parts["cons"] + (1 - w_cons) * without, "without_conservation": without,
            "released_np": w_cons * parts["cons_np"] + (1 - w_cons) * without,
            "released_own": w_cons * parts["cons_own"] + (1 - w_cons) * without}


def _blend_scores(y: np.ndarray, parts: dict, knn_blend: float, w_cons: float) -> dict:
    """Scores of the released blend and of each part, for one repeat."""
    blends = _blends(parts, knn_blend, w_cons)
    return {**{key: cv.multilabel_scores(y, prob) for key, prob in blends.items()},
            **{key: cv.multilabel_scores(y, parts[key]) for key in ("cons", "cons_np", "cons_own", "knn", "neural")}}


def _rounded(scores: dict) -> dict:
    return {"auc": round(scores["auc"], 4), "aupr": round(scores["aupr"], 4),
            "per_compartment": {c: {m: round(v, 4) for m, v in d.items()}
                                for c, d in scores["per_compartment"].items()}}


def strata_scores(y: np.ndarray, prob: np.ndarray, kind: np.ndarray) -> dict:
    """Pooled AUC / AUPR (:func:`~mirloc_core.training.cv.multilabel_scores`) within the mature and the hairpin
    rows, with their counts."""
    return {stratum: {"n": int((kind == stratum).sum()), **_rounded(cv.multilabel_scores(y[kind == stratum],
                                                                                         prob[kind == stratum]))}
            for stratum in ("mature", "hairpin")}


def _strata_block(data: SevenData, parts: dict, knn_blend: float, w_cons: float) -> dict:
    """Mature-only and hairpin-only scores of the released blend, its parts and the study-bias baseline."""
    bias = np.repeat(data.bias[:, None].astype(float), data.y.shape[1], 1)
    probs = {"released": _blends(parts, knn_blend, w_cons)["released"], "neural_only": parts["neural"],
             "knn_sw_only": parts["knn"], "conservation_only": parts["cons"],
             "conservation_only_without_host": parts["cons_own"],
             "released_without_host": _blends(parts, knn_blend, w_cons)["released_own"], "study_bias_baseline": bias}
    return {key: strata_scores(data.y, prob, data.kind) for key, prob in probs.items()}


# ============================================================================================ calibration
ECE_BINS = 10


def reliability(y: np.ndarray, p: np.ndarray, bins: int = ECE_BINS) -> dict:
    """Brier score, expected calibration error (``bins`` equal-width bins, weighted by count) and the
    reliability-plot data (per non-empty bin: mean probability, observed frequency, count) of one compartment."""
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    rows, ece = [], 0.0
    for b in range(bins):
        sel = which == b
        if sel.any():
            mean_p, freq = float(p[sel].mean()), float(y[sel].mean())
            ece += sel.mean() * abs(mean_p - freq)
            rows.append({"bin": [round(edges[b], 2), round(edges[b + 1], 2)], "mean_probability": round(mean_p, 4),
                         "observed": round(freq, 4), "n": int(sel.sum())})
    return {"brier": round(float(np.mean((p - y) ** 2)), 4), "ece": round(float(ece), 4), "reliability": rows}


def calibration_cv(y: np.ndarray, prob: np.ndarray, splits: list) -> dict:
    """Isotonic calibration per compartment, cross-fitted on the same folds: the calibrator of fold ``k`` is
    fitted on the out-of-fold probabilities of the other folds and applied to fold ``k``; Brier, ECE and
    reliability data before and after, per compartment, and the means over compartments."""
    after = np.zeros_like(prob)
    for train, test in splits:
        after[test] = apply_calibrator(fit_calibrator(y[train], prob[train]), prob[test])
    per = {c: {"before": reliability(y[:, j], prob[:, j]), "after": reliability(y[:, j], after[:, j])}
           for j, c in enumerate(COMPARTMENTS)}
    mean = {f"{m}_{w}": round(float(np.mean([per[c][w][m] for c in COMPARTMENTS])), 4)
            for m in ("ece", "brier") for w in ("before", "after")}
    return {**mean, "auc_after": round(cv.multilabel_scores(y, after)["auc"], 4), "per_compartment": per,
            "bins": ECE_BINS, "method": "isotonic regression per compartment (scikit-learn, clipped), cross-fitted "
                                        "on the out-of-fold probabilities of the released blend"}


# ============================================================================================ discovery order
def discovery_split(data: SevenData, train_fraction: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
    """Train on the miRNAs discovered first, test on the newest: CV groups (gene ∪ identical sequence) ordered
    by their genes' lowest hairpin accession number, the first ``train_fraction`` of the genes train."""
    rows, groups = data.rows, data.rows.groups
    first = np.array([rows.accession[groups == g].min() for g in range(groups.max() + 1)])
    genes = np.array([len(np.unique(rows.gene[groups == g])) for g in range(groups.max() + 1)])
    order = np.argsort(first, kind="stable")
    train_groups = order[np.cumsum(genes[order]) <= train_fraction * len(np.unique(rows.gene))]
    is_train = np.isin(groups, train_groups)
    return np.flatnonzero(is_train), np.flatnonzero(~is_train)


def _class_counts(data: SevenData, train: np.ndarray, test: np.ndarray) -> dict:
    """Per compartment: positives and negatives among the test rows and genes, training prevalence, evaluable."""
    out = {}
    for j, c in enumerate(COMPARTMENTS):
        pos = int(data.y[test, j].sum())
        genes_pos = len(np.unique(data.rows.gene[test][data.y[test, j] == 1]))
        out[c] = {"test_positive_rows": pos, "test_negative_rows": len(test) - pos,
                  "test_positive_genes": genes_pos, "test_prevalence": round(pos / len(test), 3),
                  "train_prevalence": round(float(data.y[train, j].mean()), 3),
                  "evaluable": bool(0 < pos < len(test))}
    return out


def discovery_cv(data: SevenData, estimator: SequenceModelEstimator, inputs: SequenceInputs, knn_blend: float,
                 w_cons: float, seeds=(0,)) -> dict:
    """The released blend trained on the oldest ~80% of the labelled miRNAs, tested on the newest ~20%: per class
    counts, AUC / AUPR where the test rows hold both classes, per stratum, and the study-bias baseline."""
    train, test = discovery_split(data)
    model = clone(estimator).set_params(seeds=tuple(seeds))
    out = cv.cross_validate(_seven_fit_predict(data, inputs, model), [(train, test)]).outputs[0]
    prob = _blends(out, knn_blend, w_cons)["released"]
    bias = np.repeat(data.bias[test, None].astype(float), 7, 1)
    y, kind = data.y[test], data.kind[test]
    groups = data.rows.groups
    first = np.array([data.rows.accession[groups == g].min() for g in range(groups.max() + 1)])[groups]
    genes = data.rows.gene
    parts = (("neural_only", out["neural"]), ("knn_sw_only", out["knn"]), ("conservation_only", out["cons"]))
    return {"n_train_rows": len(train), "n_test_rows": len(test),
            "n_train_genes": len(np.unique(genes[train])), "n_test_genes": len(np.unique(genes[test])),
            "accession_cut": [int(first[train].max()), int(first[test].min())],
            "classes": _class_counts(data, train, test),
            "released": _rounded(cv.multilabel_scores(y, prob)),
            "study_bias_baseline": _rounded(cv.multilabel_scores(y, bias)),
            "parts": {k: _rounded(cv.multilabel_scores(y, v)) for k, v in parts},
            "by_stratum": {"released": strata_scores(y, prob, kind),
                           "study_bias_baseline": strata_scores(y, bias, kind)},
            "what": "train on the labelled network miRNAs discovered first (lowest miRBase hairpin accession of the "
                    "gene; a CV group of genes sharing a sequence goes by its oldest gene), test on the newest ~20%; "
                    f"one split, neural member seeds {list(seeds)}; AUC / AUPR pooled over the test rows, averaged "
                    "over the evaluable classes only"}


def sevencomp_cv(lm, split: str = "random", repeats: int = 1, folds: int = 10, seeds=(0,), epochs: int = EPOCHS,
                 knn_blend: float = None, conservation_weight: float = None, log=print,
                 device: str | None = None, discovery: bool = False) -> dict:
    """10-fold CV of the seven-compartment sequence model on its training rows (hairpins and matures of each
    labelled network miRNA), folds grouped by ``split``: ``random`` (gene ∪ identical sequence) or ``homology``.

    The headline AUC/AUPR are those of the released model: ``w`` × the conservation head + (1 - ``w``) × (the
    neural ensemble blended with kNN-SW homology transfer, weight ``knn_blend``), with ``w`` =
    ``conservation_weight`` (defaults :data:`~mirloc_core.training.sequence.SEVEN_CONSERVATION_WEIGHT`,
    :data:`~mirloc_core.training.sequence.SEVEN_KNN_BLEND`). Each part alone, the model without conservation,
    the study-bias baseline, mature-only and hairpin-only scores, the cross-fitted isotonic calibration of the
    last repeat (and the calibrator fitted on all its out-of-fold probabilities) are reported too; with
    ``discovery``, the discovery-order split (:func:`discovery_cv`).
    """
    knn_blend = SEVEN_KNN_BLEND if knn_blend is None else knn_blend
    w_cons = SEVEN_CONSERVATION_WEIGHT if conservation_weight is None else conservation_weight
    data = SevenData.load(split)
    estimator = SequenceModelEstimator(SEVEN_CONFIG, None, tuple(seeds), epochs, device=device)  # LM: in the inputs
    inputs = SequenceInputs(data.seqs, estimator.model_config, lm)
    scores, start, parts = [], time.perf_counter(), None
    for rep in range(repeats):
        parts = seven_part_runs(data, [rep], folds, estimator, inputs, seeds)[0]
        scores.append(_blend_scores(data.y, parts, knn_blend, w_cons))
        log(f"  {split} repeat {rep + 1}: AUC {scores[-1]['released']['auc']:.4f} "
            f"AUPR {scores[-1]['released']['aupr']:.4f} ({time.perf_counter() - start:.0f}s)")
    released = _blends(parts, knn_blend, w_cons)["released"]
    out = _seven_summary(data, scores, parts["cons"], knn_blend, w_cons, fresh_shuffles(data, folds))
    out = {"split": split, "n": len(data.seqs), "n_genes": int(data.rows.gene.max() + 1),
           "n_mature_rows": int((data.kind == "mature").sum()), "n_hairpin_rows": int((data.kind == "hairpin").sum()),
           "folds": folds, "repeats": repeats, "seeds_per_fold": len(seeds), "epochs": epochs, **out,
           "by_stratum": _strata_block(data, parts, knn_blend, w_cons),
           "calibration": calibration_cv(data.y, released, data.splits(repeats - 1, folds)),
           "cv_groups": int(data.groups.max() + 1), "largest_group": int(np.bincount(data.groups).max()),
           "training_rows_note": SEVEN_ROWS_NOTE}
    if split == "random":
        out["calibrator"] = fit_calibrator(data.y, released)
        out["base_rates"] = {c: round(float(v), 4) for c, v in zip(COMPARTMENTS, data.y.mean(0))}
        out["label_conflicts"] = {"training_rows": label_conflicts(data.seqs, data.y, data.rows.names),
                                  "one_sequence_per_gene": label_conflicts(*seven_dataset()[:3])}
    if discovery:
        log(f"  {split}: discovery-order split")
        out["discovery_order"] = discovery_cv(data, estimator, inputs, knn_blend, w_cons, seeds)
    out["seconds"] = round(time.perf_counter() - start, 1)
    return out


def _seven_summary(data: SevenData, scores: list[dict], cons: np.ndarray, knn_blend: float, w_cons: float,
                   fresh: dict) -> dict:
    """The JSON entries of :func:`sevencomp_cv` from the per-repeat scores (``cons``: last repeat's head;
    ``fresh``: :func:`fresh_shuffles`)."""
    from scipy.stats import spearmanr

    from mirloc_core.features.conservation import FEATURES

    part = {key: [s[key] for s in scores] for key in scores[0]}
    baseline = cv.multilabel_scores(data.y, np.repeat(data.bias[:, None], data.y.shape[1], 1))
    released = part["released"]
    return {"auc": cv.mean_std([r["auc"] for r in released]), "aupr": cv.mean_std([r["aupr"] for r in released]),
            "per_compartment": released[-1]["per_compartment"],
            "study_bias_baseline": {"auc": round(baseline["auc"], 4), "aupr": round(baseline["aupr"], 4),
                                    "score": "number of known disease + drug associations"},
            "model": f"released: {w_cons:g} × conservation head + {1 - w_cons:g} × ({1 - knn_blend:g} × neural "
                     f"(TextCNN-BiLSTM-attention) + {knn_blend:g} × kNN-SW homology transfer (k={KNN_K}) from the "
                     "training folds)",
            "conservation_only": {
                **runs_mean(part["cons"]),
                "what": f"per-compartment logistic regression on the {len(FEATURES)} conservation "
                        "features (k-mers shared with other species in miRBase 22, and with other human loci; of "
                        "the sequence and of its host, the human hairpins containing it)",
                "spearman_with_study_bias": round(float(spearmanr(cons.mean(1), data.bias)[0]), 3),
                "spearman_note": "the head's mean probability over compartments (last repeat) vs the number of "
                                 "known disease + drug links"},
            "without_paralogs": {
                "head_alone": runs_mean(part["cons_np"]), "released": runs_mean(part["released_np"]),
                "what": "the same, without the 12 human-paralog features (k-mers shared with other human miRBase "
                        "entries; 6 of the sequence, 6 of its host): the head alone, and blended as released"},
            "without_host": {
                "head_alone": runs_mean(part["cons_own"]), "released": runs_mean(part["released_own"]),
                "what": "the same, without the 18 host features (only the sequence's own conservation features, "
                        "as released before 2026-12-04): the head alone, and blended as released"},
            "fresh_shuffles": fresh, "selection_note": SEVEN_SELECTION_NOTE,
            "without_conservation": {**runs_mean(part["without_conservation"]),
                                     "what": "the previous release: neural + kNN-SW blend only"},
            "neural_only": runs_mean(part["neural"]),
            "knn_sw_only": {**runs_mean(part["knn"]),
                            "what": f"similarity-weighted labels of the {KNN_K} most SW-similar training miRNAs"}}

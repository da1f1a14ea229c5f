"""The one cross-validation runner, the fold schemes and the metrics, for every protocol and baseline.

Every benchmark in mirloc — the network model on GTMALoc's protocol, its baselines (study bias, name only,
logistic regression on the published features), the seven-compartment and binary sequence models, the label
audit — is :func:`cross_validate` over a list of ``(train, test)`` index pairs with an estimator that follows
scikit-learn's contract (``fit(X, y)`` then ``predict_proba(X)``), or with a ``fit_predict`` function when one fold
yields several outputs at once (e.g. an ensemble and each of its members). The runner collects the out-of-fold
outputs; the protocol then scores them either per fold and averaged (GTMALoc: :func:`per_fold_summary`) or pooled
over the whole out-of-fold vector (:func:`multilabel_scores`, :func:`binary_metrics`).

Fold schemes
------------
:func:`gtmaloc_folds`
    a seeded permutation cut into contiguous folds (GTMALoc's protocol);
:func:`group_folds`
    whole groups (e.g. homology groups) assigned largest-first to the smallest fold;
:func:`splits_from_folds`
    ``(train, test)`` pairs from a list of test folds (train = the other folds, in fold order);
:func:`kfold_splits`, :func:`stratified_splits`, :func:`group_kfold_splits`
    scikit-learn's shuffled K-fold and stratified K-fold, and group K-fold (scikit-learn's assignment, with a
    stable order of equal-sized groups; groups relabelled by a seeded permutation);
:func:`merged_groups`
    the union of several groupings (e.g. gene ∪ identical sequence ∪ homology) as one grouping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from mirloc_core.config import COMPARTMENTS

# ============================================================================================ folds
def gtmaloc_folds(n: int, n_folds: int = 10, seed: int = 42) -> list[np.ndarray]:
    """GTMALoc folds: a seeded permutation of ``range(n)`` cut into ``n_folds`` contiguous folds (sorted)."""
    perm = np.random.RandomState(seed).permutation(n)
    return [np.sort(f) for f in np.array_split(perm, n_folds)]


def group_folds(groups: np.ndarray, n_folds: int = 10, seed: int = 42) -> list[np.ndarray]:
    """Folds that keep each group whole: groups shuffled (seeded), then assigned largest-first to the
    currently smallest fold."""
    rng = np.random.RandomState(seed)
    unique = rng.permutation(np.unique(groups))
    sizes = {g: int((groups == g).sum()) for g in unique}
    order = sorted(unique, key=lambda g: -sizes[g])
    load = np.zeros(n_folds, dtype=int)
    assign = {}
    for g in order:
        k = int(np.argmin(load))
        assign[g] = k
        load[k] += sizes[g]
    fold_of = np.array([assign[g] for g in groups])
    return [np.flatnonzero(fold_of == k) for k in range(n_folds)]


def splits_from_folds(folds: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(train, test)`` pairs: each fold is a test set once, the others (concatenated in order) train."""
    return [(np.concatenate([folds[j] for j in range(len(folds)) if j != k]), test) for k, test in enumerate(folds)]


def kfold_splits(n: int, n_folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """scikit-learn's shuffled ``KFold`` (``random_state=seed``)."""
    from sklearn.model_selection import KFold

    return list(KFold(n_folds, shuffle=True, random_state=seed).split(np.zeros(n)))


def stratified_splits(strata: np.ndarray, n_folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """scikit-learn's shuffled ``StratifiedKFold`` over ``strata`` (``random_state=seed``)."""
    from sklearn.model_selection import StratifiedKFold

    strata = np.asarray(strata)
    return list(StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(np.zeros(len(strata)), strata))


def group_kfold_splits(groups: np.ndarray, n_folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Group K-fold after relabelling the groups with a seeded permutation (so that repeats differ): scikit-learn's
    ``GroupKFold`` assignment (largest group first, each to the lightest fold), with ties between groups of equal
    size broken by their relabelled id, largest first.

    Not ``GroupKFold`` itself: it orders the group sizes with NumPy's default sort, whose order of equal values
    differs between CPUs (NumPy sorts with AVX-512 where it can), so its folds, and every figure scored on them,
    were not the same on every machine. Here the sort is stable.
    """
    groups = np.asarray(groups)
    perm = np.random.default_rng(seed).permutation(groups.max() + 1)
    _, index = np.unique(perm[groups], return_inverse=True)
    sizes = np.bincount(index)
    order = np.argsort(sizes, kind="stable")[::-1]
    load = np.zeros(n_folds)
    fold_of_group = np.zeros(len(sizes), dtype=np.int64)
    for g in order:
        k = int(np.argmin(load))
        fold_of_group[g] = k
        load[k] += sizes[g]
    fold = fold_of_group[index]
    return [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(n_folds)]


def merged_groups(*groupings) -> np.ndarray:
    """Groups that keep together every two rows sharing a label in any of ``groupings`` (each a length-N array of
    hashable labels): the connected components, numbered ``0 .. n_groups - 1`` in order of first row."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(groupings[0])
    src, dst, offset = [], [], n
    for grouping in groupings:
        _, codes = np.unique(np.asarray(grouping), return_inverse=True)
        src.append(np.arange(n))
        dst.append(offset + codes)
        offset += int(codes.max()) + 1
    src, dst = np.concatenate(src), np.concatenate(dst)
    graph = coo_matrix((np.ones(len(src)), (src, dst)), shape=(offset, offset))
    _, labels = connected_components(graph, directed=False)
    _, first, inverse = np.unique(labels[:n], return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first))
    return rank[inverse]


# ============================================================================================ the runner
@dataclass
class CVRun:
    """What :func:`cross_validate` returns: the splits and, per fold, the ``fit_predict`` output."""

    splits: list
    outputs: list = field(default_factory=list)

    @property
    def tests(self) -> list[np.ndarray]:
        """The test indices of each fold."""
        return [test for _, test in self.splits]

    def oof(self, key: str | None = None, n: int | None = None) -> np.ndarray:
        """Out-of-fold array of output ``key`` (the whole output when ``fit_predict`` returned an array),
        rows in the original order; ``n`` rows (default: the largest test index + 1)."""
        parts = [out if key is None else out[key] for out in self.outputs]
        n = n if n is not None else int(max(int(t.max()) for t in self.tests) + 1)
        first = np.asarray(parts[0])
        full = np.zeros((n, *first.shape[1:]), dtype=np.float64)
        for test, part in zip(self.tests, parts):
            full[test] = part
        return full

    def per_fold(self, key: str) -> list:
        """Output ``key`` of every fold, in fold order (e.g. a per-fold choice of hyper-parameters)."""
        return [out[key] for out in self.outputs]


def cross_validate(model, splits: list, x=None, y=None, jobs: int = 1, seed_param: str | None = None) -> CVRun:
    """Fit and predict every fold of ``splits``; the one runner of every protocol and baseline.

    Parameters
    ----------
    model : estimator or callable
        An estimator with ``fit(X, y)`` and ``predict_proba(X)`` (scikit-learn's contract; it is cloned per fold
        with :func:`sklearn.base.clone` when it supports it, else deep-copied), fitted on ``x[train]``,
        ``y[train]`` and asked for ``predict_proba(x[test])``; or a callable
        ``fit_predict(train, test, fold) -> array or dict of arrays`` that does both (for models fitted on
        several aligned inputs, or that return several outputs per fold).
    splits : list of (train, test) index arrays
    x, y : array-like, optional
        The inputs and targets (estimators only).
    jobs : int
        Folds fitted in parallel worker processes (joblib); each result is the same as in one process up to
        float round-off.
    seed_param : str, optional
        Estimators only: the name of a seed parameter offset by the fold number in each fold's clone (fold ``k``
        is fitted with ``seed + k``, as the network protocols seed each fold's members).

    Returns
    -------
    CVRun
    """
    fit_predict = model if _is_fit_predict(model) else _estimator_fit_predict(model, x, y, seed_param)
    if jobs > 1:
        from joblib import Parallel, delayed

        outputs = Parallel(n_jobs=jobs)(delayed(fit_predict)(train, test, k) for k, (train, test) in enumerate(splits))
    else:
        outputs = [fit_predict(train, test, k) for k, (train, test) in enumerate(splits)]
    return CVRun(list(splits), list(outputs))


def _is_fit_predict(model) -> bool:
    return callable(model) and not (hasattr(model, "fit") and hasattr(model, "predict_proba"))


def _estimator_fit_predict(estimator, x, y, seed_param: str | None = None) -> Callable:
    def fit_predict(train, test, fold):
        model = _clone(estimator)
        if seed_param is not None:
            model.set_params(**{seed_param: estimator.get_params()[seed_param] + fold})
        fitted = model.fit(_rows(x, train), _rows(y, train))
        return fitted.predict_proba(_rows(x, test))

    return fit_predict


def _clone(estimator):
    try:
        from sklearn.base import clone

        return clone(estimator)
    except (TypeError, RuntimeError):
        import copy

        return copy.deepcopy(estimator)


def _rows(a, idx):
    return None if a is None else a[idx]


# ============================================================================================ metrics
def fold_metrics(y_true: np.ndarray, y_score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-class AUC and AUPR on one fold (NaN where a class has one value in the fold)."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    auc = np.full(y_true.shape[1], np.nan)
    aupr = np.full(y_true.shape[1], np.nan)
    for c in range(y_true.shape[1]):
        if 0 < y_true[:, c].sum() < len(y_true):
            auc[c] = roc_auc_score(y_true[:, c], y_score[:, c])
            aupr[c] = average_precision_score(y_true[:, c], y_score[:, c])
    return auc, aupr


def summarise(fold_auc: list, fold_aupr: list) -> dict:
    """GTMALoc averaging: per class over folds (NaN-skipping), then over classes."""
    auc = np.nanmean(np.array(fold_auc), axis=0)
    aupr = np.nanmean(np.array(fold_aupr), axis=0)
    return {"auc": float(np.mean(auc)), "aupr": float(np.mean(aupr)),
            "per_class_auc": dict(zip(COMPARTMENTS, np.round(auc, 4).tolist())),
            "per_class_aupr": dict(zip(COMPARTMENTS, np.round(aupr, 4).tolist()))}


def per_fold_summary(run: CVRun, y: np.ndarray, key: str | None = None) -> dict:
    """GTMALoc's scoring of a run: :func:`fold_metrics` on each test fold, then :func:`summarise`."""
    fold_auc, fold_aupr = [], []
    for test, out in zip(run.tests, run.outputs):
        auc, aupr = fold_metrics(y[test], np.asarray(out if key is None else out[key]))
        fold_auc.append(auc)
        fold_aupr.append(aupr)
    return summarise(fold_auc, fold_aupr)


def multilabel_scores(y: np.ndarray, prob: np.ndarray) -> dict:
    """Pooled out-of-fold AUC and AUPR per compartment (where both classes occur), and their means."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    per = {}
    for j, name in enumerate(COMPARTMENTS):
        if 0 < y[:, j].sum() < len(y):
            per[name] = {"auc": float(roc_auc_score(y[:, j], prob[:, j])),
                         "aupr": float(average_precision_score(y[:, j], prob[:, j]))}
    return {"auc": float(np.mean([v["auc"] for v in per.values()])),
            "aupr": float(np.mean([v["aupr"] for v in per.values()])), "per_compartment": per}


def binary_metrics(y: np.ndarray, call: np.ndarray, score: np.ndarray | None = None) -> dict:
    """ACC, macro-F1, macro precision, macro recall, and ROC AUC of ``score`` (default: the call)."""
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

    score = call if score is None else score
    return {"acc": accuracy_score(y, call), "macro_f1": f1_score(y, call, average="macro", zero_division=0),
            "macro_precision": precision_score(y, call, average="macro", zero_division=0),
            "macro_recall": recall_score(y, call, average="macro", zero_division=0),
            "auc": roc_auc_score(y, score) if 0 < y.sum() < len(y) else float("nan")}


def mean_std(values) -> dict:
    """``{"mean", "std"}`` of a list of numbers, rounded to 4 decimals."""
    return {"mean": round(float(np.mean(values)), 4), "std": round(float(np.std(values)), 4)}

"""Isotonic calibration of the network model's seven-compartment probabilities (issue 13, item 6).

One isotonic regression per compartment, fitted on out-of-fold probabilities. The *reported* calibration is
cross-fitted: for test fold ``k`` of protocol (a) the calibrator is fitted on the other folds' out-of-fold rows
and applied to fold ``k``, so no row is calibrated by a map that saw its own label. The *released* calibrator is
fitted on all out-of-fold rows and stored as breakpoints (``x``, ``y``; applied by linear interpolation, clipped
at the ends, which is what :class:`sklearn.isotonic.IsotonicRegression` predicts).
"""

from __future__ import annotations

import numpy as np

from mirloc_core import config

BINS = 10
"""Equal-width bins of the expected calibration error and of the reliability data."""


def fit_isotonic(p: np.ndarray, y: np.ndarray) -> dict:
    """Breakpoints ``{"x": [...], "y": [...]}`` of an increasing isotonic map of ``p`` to the 0/1 labels ``y``
    (a constant map where ``y`` has one value)."""
    from sklearn.isotonic import IsotonicRegression

    p, y = np.asarray(p, np.float64), np.asarray(y, np.float64)
    if y.min() == y.max():
        return {"x": [0.0, 1.0], "y": [float(y[0]), float(y[0])]}
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, y)
    return {"x": [float(v) for v in iso.X_thresholds_], "y": [float(v) for v in iso.y_thresholds_]}


def apply_isotonic(p: np.ndarray, breakpoints: dict) -> np.ndarray:
    """Calibrated probabilities of ``p`` through :func:`fit_isotonic`'s breakpoints."""
    return np.interp(np.asarray(p, np.float64), breakpoints["x"], breakpoints["y"])


def fit_calibrator(prob: np.ndarray, y: np.ndarray) -> list[dict]:
    """One isotonic map per compartment (columns of ``prob`` (n, 7) and ``y`` (n, 7))."""
    return [fit_isotonic(prob[:, k], y[:, k]) for k in range(prob.shape[1])]


def apply_calibrator(prob: np.ndarray, calibrator: list[dict]) -> np.ndarray:
    """(n, 7) calibrated probabilities."""
    return np.stack([apply_isotonic(prob[:, k], b) for k, b in enumerate(calibrator)], 1)


def cross_fitted(prob: np.ndarray, y: np.ndarray, folds: list[np.ndarray]) -> np.ndarray:
    """Calibrated out-of-fold probabilities: rows of fold ``k`` through a calibrator fitted on the other folds."""
    out = np.empty_like(np.asarray(prob, np.float64))
    for test in folds:
        train = np.setdiff1d(np.arange(len(prob)), test)
        out[test] = apply_calibrator(prob[test], fit_calibrator(prob[train], y[train]))
    return out


def brier(p: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error of probabilities ``p`` against 0/1 labels ``y``."""
    return float(np.mean((np.asarray(p, np.float64) - y) ** 2))


def reliability(p: np.ndarray, y: np.ndarray, bins: int = BINS) -> dict:
    """Per equal-width bin of ``p``: rows, mean predicted probability and observed positive fraction (None for
    empty bins)."""
    which = np.minimum((np.asarray(p) * bins).astype(int), bins - 1)
    count, mean_p, observed = [], [], []
    for b in range(bins):
        sel = which == b
        count.append(int(sel.sum()))
        mean_p.append(float(p[sel].mean()) if sel.any() else None)
        observed.append(float(y[sel].mean()) if sel.any() else None)
    return {"count": count, "mean_predicted": mean_p, "observed": observed}


def ece(p: np.ndarray, y: np.ndarray, bins: int = BINS) -> float:
    """Expected calibration error: the row-weighted mean over equal-width bins of |mean p − observed rate|."""
    r = reliability(p, y, bins)
    n = sum(r["count"])
    return float(sum(c * abs(m - o) for c, m, o in zip(r["count"], r["mean_predicted"], r["observed"]) if c) / n)


def _auc(p: np.ndarray, y: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else None


def calibration_report(prob: np.ndarray, y: np.ndarray, folds: list[np.ndarray]) -> dict:
    """Per compartment: prevalence, Brier score, ECE, pooled AUC and reliability data, before and after the
    cross-fitted isotonic calibration of the out-of-fold probabilities ``prob``; and the means over the seven."""
    prob, y = np.asarray(prob, np.float64), np.asarray(y, np.float64)
    cal = cross_fitted(prob, y, folds)
    per = {}
    for k, name in enumerate(config.COMPARTMENTS):
        per[name] = {"prevalence": float(y[:, k].mean()),
                     **{f"{what}_{when}": fn(p[:, k], y[:, k]) for when, p in (("before", prob), ("after", cal))
                        for what, fn in (("brier", brier), ("ece", ece), ("auc_pooled", _auc))},
                     "reliability_before": reliability(prob[:, k], y[:, k]),
                     "reliability_after": reliability(cal[:, k], y[:, k])}
    mean = {f"{what}_{when}": float(np.mean([v[f"{what}_{when}"] for v in per.values()]))
            for what in ("brier", "ece") for when in ("before", "after")}
    return {"method": f"isotonic per compartment, cross-fitted over the {len(folds)} protocol (a) folds (each "
                      "fold calibrated by a map fitted on the other folds' out-of-fold rows)",
            "bins": BINS, "rows": int(len(y)), "mean": mean, "compartments": per,
            "comparison_platt_cross_fitted": platt_comparison(prob, y, folds)}


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))[:, None]


def platt_cross_fitted(prob: np.ndarray, y: np.ndarray, folds: list[np.ndarray]) -> np.ndarray:
    """Platt scaling (logistic regression on the logit, per compartment), cross-fitted like :func:`cross_fitted`;
    the comparison the report gives for the released isotonic calibration (it keeps the ranking)."""
    from sklearn.linear_model import LogisticRegression

    out = np.empty_like(np.asarray(prob, np.float64))
    for test in folds:
        train = np.setdiff1d(np.arange(len(prob)), test)
        for k in range(prob.shape[1]):
            if y[train, k].min() == y[train, k].max():
                out[test, k] = y[train[0], k]
                continue
            lr = LogisticRegression(C=1e4, max_iter=1000).fit(_logit(prob[train, k]), y[train, k])
            out[test, k] = lr.predict_proba(_logit(prob[test, k]))[:, 1]
    return out


def platt_comparison(prob: np.ndarray, y: np.ndarray, folds: list[np.ndarray]) -> dict:
    """Mean Brier score and ECE over the compartments after cross-fitted Platt scaling."""
    cal = platt_cross_fitted(np.asarray(prob, np.float64), np.asarray(y, np.float64), folds)
    return {"brier": float(np.mean([brier(cal[:, k], y[:, k]) for k in range(y.shape[1])])),
            "ece": float(np.mean([ece(cal[:, k], y[:, k]) for k in range(y.shape[1])]))}

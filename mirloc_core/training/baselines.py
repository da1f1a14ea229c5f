"""Baselines of the network benchmark, each a scikit-learn style estimator (``fit(X, y)`` / ``predict_proba(X)``)
run through :func:`mirloc_core.training.cv.cross_validate` on the network model's folds and scored the GTMALoc way
(:func:`~mirloc_core.training.cv.per_fold_summary`).

:class:`StudyBias`
    no learning: every compartment gets the miRNA's number of disease and drug links (how much it was studied);
:class:`NameOnly`
    an extra-trees forest on the nine name features (:func:`mirloc_core.features.names.name_features`), no
    network data;
:class:`PublishedLogistic`
    logistic regression on the published node2vec + co-localization features, ``C`` chosen by inner CV.

The functions :func:`study_bias_cv`, :func:`name_only_cv` and :func:`logistic_published_cv` run them on the
901 labelled network miRNAs.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

from mirloc_core.config import COMPARTMENTS
from mirloc_core.training.cv import cross_validate, per_fold_summary, splits_from_folds
from mirloc_core.training.network import PipelineConfig, StandardisedLogistic, predict_trees, select_by_inner_cv


class StudyBias(BaseEstimator):
    """The first column of ``X`` (the number of disease and drug links) as the score of every compartment."""

    def __init__(self, n_classes: int = len(COMPARTMENTS)):
        self.n_classes = n_classes

    def fit(self, x: np.ndarray, y: np.ndarray | None = None) -> "StudyBias":
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return np.tile(np.asarray(x)[:, 0, None], (1, self.n_classes))


class NameOnly(BaseEstimator):
    """Multi-output extra-trees forest (300 trees, leaves of at least 5) seeded ``seed``."""

    def __init__(self, seed: int = 0):
        self.seed = seed

    def fit(self, x: np.ndarray, y: np.ndarray) -> "NameOnly":
        from sklearn.ensemble import ExtraTreesClassifier

        self.forest_ = ExtraTreesClassifier(n_estimators=300, min_samples_leaf=5, n_jobs=1,
                                            random_state=self.seed).fit(x, y)
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return predict_trees(self.forest_, x)


class PublishedLogistic(BaseEstimator):
    """:class:`~mirloc_core.training.network.StandardisedLogistic` with ``C`` chosen from ``grid`` by an inner
    ``inner_folds``-fold CV on the training rows (seeded ``seed``)."""

    def __init__(self, grid: tuple = (0.001, 0.003, 0.1, 1.0), inner_folds: int = 3, seed: int = 42):
        self.grid = grid
        self.inner_folds = inner_folds
        self.seed = seed

    def fit(self, x: np.ndarray, y: np.ndarray) -> "PublishedLogistic":
        _, self.c_ = select_by_inner_cv({0: x}, y, self.grid, self.inner_folds, self.seed)
        self.model_ = StandardisedLogistic(self.c_).fit(x, y)
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return self.model_.predict_proba(x)


def _labelled():
    from mirloc_core.io.data import load_network

    net = load_network()
    return net, net.labelled_index, net.labels[net.labelled_index]


def study_bias_cv(folds: list[np.ndarray]) -> dict:
    """Study-bias baseline on the labelled miRNAs: the row sum of the disease and drug matrices, same score for
    every class."""
    net, idx, y = _labelled()
    score = (net.disease.sum(1) + net.drug.sum(1))[idx]
    return per_fold_summary(cross_validate(StudyBias(), splits_from_folds(folds), score[:, None], y), y)


def name_only_cv(folds: list[np.ndarray], seed: int = 0) -> dict:
    """Name-only baseline: :class:`NameOnly` on the nine name features alone (fold ``k`` seeded ``seed + k``).

    Measures how much of the benchmark the miRNA's name answers by itself: how it maps to miRBase
    (precursor, mature, family name), its miRBase number (discovery order) and its suffixes (e.g. the genomic
    copies ``-1``/``-2``, which the source database annotated separately from the family name).
    """
    from mirloc_core.features.names import name_features

    _, idx, y = _labelled()
    x = name_features()[idx]
    return per_fold_summary(cross_validate(NameOnly(seed), splits_from_folds(folds), x, y, seed_param="seed"), y)


def logistic_published_cv(folds: list[np.ndarray], cfg: PipelineConfig) -> dict:
    """Baseline: :class:`PublishedLogistic` on the published node2vec + co-localization features (grid
    ``cfg.lr_grid + (0.1, 1.0)``, ``cfg.inner_folds`` inner folds, fold ``k`` seeded ``cfg.seed + k``)."""
    from mirloc_core.io.data import load_published_features

    _, idx, y = _labelled()
    pub = load_published_features()
    x = np.hstack([pub["seq"], pub["disease"], pub["drug"], pub["mrna"], pub["coloc"]])[idx]
    model = PublishedLogistic(cfg.lr_grid + (0.1, 1.0), cfg.inner_folds, cfg.seed)
    return per_fold_summary(cross_validate(model, splits_from_folds(folds), x, y, seed_param="seed"), y)

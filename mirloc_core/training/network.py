"""The network model (GTMALoc rebuilt from the raw networks) as an estimator, and its cross-validation.

Pipeline
--------
1. label-free features (:mod:`mirloc_core.features.network_inputs`): node2vec embeddings of our sequence-similarity,
   miRNA–disease and miRNA–drug graphs, refined by a graph transformer over the functional-similarity graph
   binarised at ``T``; name and conservation features, log degrees, raw association rows. The mRNA modality uses
   the published node2vec embedding plus the co-localization feature (the miRNA–mRNA matrix is not public);
2. :class:`NetworkModel` (``fit(rows, y)`` / ``predict_proba(rows)``, rows index the feature sets): the inner-CV
   choice of ``T`` and of the logistic penalty ``C``, label profiles (:func:`label_profiles`), standardisation and
   the six ensemble members (:data:`MEMBERS`), all fitted on the training rows only;
3. :func:`network_cv`: the model over given folds through :func:`mirloc_core.training.cv.cross_validate` (fold
   ``k`` is seeded ``seed + k``), scored the GTMALoc way (per fold, then averaged).

Baselines are in :mod:`mirloc_core.training.baselines`, the release in :mod:`mirloc_core.training.release`, the
benchmark protocols in :mod:`mirloc_core.reports.network`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from sklearn.base import BaseEstimator

from mirloc_core import config
from mirloc_core.features.network_inputs import NetworkFeatureConfig
from mirloc_core.models.graph import MODALITIES
from mirloc_core.training.cv import (cross_validate, fold_metrics, gtmaloc_folds, per_fold_summary,
                                     splits_from_folds)

MEMBERS = ("fusion_network", "logistic", "extra_trees", "profile_trees", "profile_boosting", "propagation")
"""Ensemble members, in the order of ``PipelineConfig.weights``."""


# ============================================================================================ configuration
@dataclass(frozen=True)
class PipelineConfig(NetworkFeatureConfig):
    """Every setting of the network pipeline (stored in the manifest and the benchmark JSON): the label-free feature
    settings it inherits from :class:`~mirloc_core.features.network_inputs.NetworkFeatureConfig`, then those of
    the fitted members."""

    propagation_graphs: tuple = ("functional", "drug", "sequence", "mrna")  # graphs of the label-propagation
    #                                         member (:func:`propagated_labels`; with the label profiles only)
    use_raw_profiles: bool = True           # raw disease/drug rows as extra inputs (linear model and trees)
    use_label_profiles: bool = True         # disease/drug label profiles, fitted in each training fold
    profile_smoothing: float = 1.0          # pseudo-count toward the training prior in the label profiles
    fusion_epochs: int = 40
    fusion_lr: float = 1e-3
    fusion_weight_decay: float = 1e-2
    fusion_dropout: float = 0.3
    lr_grid: tuple = (0.001, 0.003)
    inner_folds: int = 3
    weights: tuple = (1.0, 1.0, 4.0, 2.0, 1.0, 2.0)  # fusion network, logistic, extra trees, profile trees,
    #                                                  boosting, label propagation (chosen on development seeds)
    trees: int = 300
    tree_criterion: str = "entropy"         # split criterion of the token forest (``extra_trees``; the profile
    #                                         forest keeps "gini"): chosen on development seeds (2026-12-06)
    tree_max_features: float = 0.3
    boosting_iterations: int = 200
    boosting_lr: float = 0.05
    propagation_smoothing: float = 0.05     # pseudo-mass toward the training prior in the propagated labels
    use_attention: bool = True
    seed: int = 42

    def feature_config(self) -> NetworkFeatureConfig:
        """The label-free feature settings (:mod:`mirloc_core.features.network_inputs`) of this pipeline."""
        return NetworkFeatureConfig(**{f.name: getattr(self, f.name) for f in fields(NetworkFeatureConfig)})


# ============================================================================================ label profiles
def label_profile_rates(assoc: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per association column (disease or drug): ``(positives (C, 7), counts (C,))`` over the training miRNAs
    ``assoc`` (n, C) with labels ``y`` (n, 7); the inputs of :func:`label_profiles`."""
    assoc = np.asarray(assoc, np.float64)
    return assoc.T @ y, assoc.sum(0)


def label_profiles(assoc: np.ndarray, positives: np.ndarray, counts: np.ndarray, prior: np.ndarray, alpha: float,
                   own_labels: np.ndarray | None = None) -> np.ndarray:
    """Label profile of miRNAs: the mean, over the diseases (or drugs) they are linked to, of each column's
    smoothed compartment rate ``(positives + alpha·prior) / (count + alpha)`` among the training miRNAs.

    A collaborative-filtering feature: "miRNAs linked to the same diseases as this one are in the nucleus".
    For training miRNAs pass ``own_labels``: each row's own labels are removed from the column sums first
    (leave-one-out), so a training row never sees its own label. Rows without links get ``prior``.

    Parameters
    ----------
    assoc : (n, C) 0/1 association rows of the miRNAs to describe
    positives, counts : the sums of :func:`label_profile_rates` over the training miRNAs
    prior : (7,) training label means
    alpha : float, pseudo-count
    own_labels : (n, 7), optional; the rows' own labels when they are training rows

    Returns
    -------
    (n, 7) float32
    """
    assoc = np.asarray(assoc, np.float64)
    out = np.empty((len(assoc), positives.shape[1]), np.float64)
    for i, row in enumerate(assoc):
        linked = np.flatnonzero(row)
        if len(linked) == 0:
            out[i] = prior
            continue
        pos, cnt = positives[linked], counts[linked]
        if own_labels is not None:
            pos, cnt = pos - own_labels[i], cnt - 1.0
        out[i] = ((pos + alpha * prior) / (cnt + alpha)[:, None]).mean(0)
    return out.astype(np.float32)


def propagated_labels(operator: np.ndarray, y_train: np.ndarray, prior: np.ndarray, smoothing: float,
                      leave_one_out: bool) -> np.ndarray:
    """Random-walk-with-restart label propagation: ``(R y + s·prior) / (Σ R + s)`` per row, and the walk mass
    ``Σ R`` that reached a training miRNA, from ``operator`` (n, n_train), the RWR operator
    (:mod:`mirloc_core.features.propagation`) of the rows to describe restricted to the training columns.

    ``leave_one_out`` (the rows are the training rows, in order): the diagonal is dropped, which removes every
    walk ending at the row itself, so a training row never sees its own label. Returns (n, 8) float32.
    """
    r = np.array(operator, np.float64)
    if leave_one_out:
        np.fill_diagonal(r, 0.0)
    mass = r.sum(1, keepdims=True)
    rates = (r @ y_train + smoothing * prior) / (mass + smoothing)
    return np.hstack([rates, mass]).astype(np.float32)


# ============================================================================================ members
def fit_logistic(x_train: np.ndarray, y_train: np.ndarray, c: float):
    """One L2 logistic regression per compartment (standardised inputs expected); returns the models (a float
    constant where a class has one value)."""
    from sklearn.linear_model import LogisticRegression

    models = []
    for k in range(y_train.shape[1]):
        if y_train[:, k].min() == y_train[:, k].max():
            models.append(float(y_train[0, k]))
            continue
        models.append(LogisticRegression(C=c, max_iter=3000).fit(x_train, y_train[:, k]))
    return models


def predict_logistic(models, x: np.ndarray) -> np.ndarray:
    """(n, 7) probabilities of per-class models from :func:`fit_logistic` or :func:`fit_boosting`."""
    return np.stack([np.full(len(x), m) if isinstance(m, float) else m.predict_proba(x)[:, 1] for m in models], 1)


def fit_trees(x_train: np.ndarray, y_train: np.ndarray, cfg: PipelineConfig, seed: int, criterion: str = "gini"):
    """Multi-output extra-trees classifier (one forest for the 7 labels, so splits share label structure)."""
    from sklearn.ensemble import ExtraTreesClassifier

    return ExtraTreesClassifier(n_estimators=cfg.trees, min_samples_leaf=2, max_features=cfg.tree_max_features,
                                criterion=criterion, n_jobs=1, random_state=seed).fit(x_train, y_train.astype(int))


def predict_trees(forest, x: np.ndarray) -> np.ndarray:
    """(n, 7) positive-class probabilities of a multi-output forest (0 where a class never occurred)."""
    out = []
    for proba, classes in zip(forest.predict_proba(x), forest.classes_):
        out.append(proba[:, list(classes).index(1)] if 1 in classes else np.zeros(len(x)))
    return np.stack(out, 1)


def fit_boosting(x_train: np.ndarray, y_train: np.ndarray, cfg: PipelineConfig, seed: int) -> list:
    """One histogram gradient-boosting classifier per compartment (a constant where a class has one value)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    models = []
    for k in range(y_train.shape[1]):
        if y_train[:, k].min() == y_train[:, k].max():
            models.append(float(y_train[0, k]))
            continue
        models.append(HistGradientBoostingClassifier(learning_rate=cfg.boosting_lr, max_iter=cfg.boosting_iterations,
                                                     random_state=seed).fit(x_train, y_train[:, k]))
    return models


def train_fusion(blocks_train: list[np.ndarray], y_train: np.ndarray, cfg: PipelineConfig, seed: int, device=None):
    """Train a :class:`~mirloc_core.models.graph.ModalityFusion` (full batch, BCE, AdamW, fixed epochs).

    ``device``: a torch device, ``"cpu"``/``"cuda"``, or None (:func:`mirloc_core.config.get_device`)."""
    import torch

    from mirloc_core.models.graph import ModalityFusion

    device = device if isinstance(device, torch.device) else config.get_device(device)
    torch.manual_seed(seed)
    model = ModalityFusion([b.shape[1] for b in blocks_train], dropout=cfg.fusion_dropout,
                           use_attention=cfg.use_attention).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.fusion_lr, weight_decay=cfg.fusion_weight_decay)
    xs = [torch.from_numpy(np.ascontiguousarray(b, dtype=np.float32)).to(device) for b in blocks_train]
    y = torch.from_numpy(y_train.astype(np.float32)).to(device)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    for _ in range(cfg.fusion_epochs):
        model.train()
        opt.zero_grad()
        logits, _, _ = model(xs)
        loss = loss_fn(logits, y)
        loss.backward()
        opt.step()
    model.eval()
    return model


def predict_fusion(model, blocks: list[np.ndarray], device=None):
    """(probabilities (n, 7), modality attention (n, 4), fused embedding (n, 128)) as numpy."""
    import torch

    device = device or next(model.parameters()).device
    with torch.no_grad():
        xs = [torch.from_numpy(np.ascontiguousarray(b, dtype=np.float32)).to(device) for b in blocks]
        logits, attention, embedding = model(xs)
    return torch.sigmoid(logits).cpu().numpy(), attention.cpu().numpy(), embedding.cpu().numpy()


class StandardisedLogistic(BaseEstimator):
    """Standardisation (training mean and std + 1e-6) then :func:`fit_logistic` with penalty ``c``: the
    logistic model of the inner CV and of the published-features baseline."""

    def __init__(self, c: float = 1.0):
        self.c = c

    def fit(self, x: np.ndarray, y: np.ndarray) -> "StandardisedLogistic":
        x = np.asarray(x)
        self.mean_, self.std_ = x.mean(0), x.std(0) + 1e-6
        self.models_ = fit_logistic((x - self.mean_) / self.std_, y, self.c)
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return predict_logistic(self.models_, (np.asarray(x) - self.mean_) / self.std_)


def select_by_inner_cv(sets: dict[float, np.ndarray], y: np.ndarray, grid: tuple, n_folds: int, seed: int):
    """Pick ``(threshold, C)`` maximising the inner-CV mean AUC of :class:`StandardisedLogistic`, on the training
    rows only (GTMALoc folds, seed ``seed``; per fold the NaN-skipping mean over classes, then over folds)."""
    splits = splits_from_folds(gtmaloc_folds(len(y), n_folds, seed))
    best, best_score = None, -np.inf
    for t, x in sets.items():
        for c in grid:
            run = cross_validate(StandardisedLogistic(c), splits, x, y)
            score = float(np.mean([np.nanmean(fold_metrics(y[test], prob)[0])
                                   for test, prob in zip(run.tests, run.outputs)]))
            if score > best_score:
                best, best_score = (t, c), score
    return best


# ============================================================================================ the model
class NetworkModel(BaseEstimator):
    """The network model: ``fit(rows, y)`` on rows of the feature sets, then ``predict_proba(rows)``.

    ``sets[T][block]`` are the label-free inputs of :func:`mirloc_core.features.network_inputs.feature_sets`
    (one dict of blocks per candidate threshold ``T``); ``rows`` index them. The prediction is the
    ``cfg.weights``-weighted mean of six members (:data:`MEMBERS`):

    - ``fusion_network``: the modality-attention fusion network over the four modality tokens;
    - ``logistic``: L2 logistic regression on all tokens, the raw association rows and the label profiles;
    - ``extra_trees``: an extra-trees forest on the tokens and the label profiles;
    - ``profile_trees`` and ``profile_boosting``: a forest and per-class gradient boosting on the compact
      profile (label profiles, name and conservation features, log degrees);
    - ``propagation``: no fitted parameters; the mean over the similarity graphs of ``cfg.propagation_graphs`` of
      the training labels propagated by random walk with restart (:func:`propagated_labels`), only with
      ``use_label_profiles``.

    ``fit`` chooses ``T`` and ``C`` by inner CV (:func:`select_by_inner_cv`) and fits the label profiles
    (:func:`label_profiles`; ``profile_sums_`` holds their column sums, which join the disease and drug tokens
    of the fusion network too), the scalers and the members, all on the training rows only.
    """

    def __init__(self, sets: dict | None = None, cfg: PipelineConfig | None = None, seed: int = 0, device=None):
        self.sets = sets
        self.cfg = cfg
        self.seed = seed
        self.device = device

    def fit(self, rows: np.ndarray, y: np.ndarray) -> "NetworkModel":
        """Fit on ``rows`` (indices into the sets) with their labels ``y`` (len(rows), 7)."""
        cfg, sets, y_tr = self.cfg, self.sets, np.asarray(y)
        any_set = next(iter(sets.values()))
        self.modalities_ = tuple(m for m in MODALITIES if m in any_set)
        keys = tuple(k for k in any_set if not k.endswith(":graph") and (not k.endswith(":raw")
                                                                         or cfg.use_raw_profiles))
        concat = {t: np.hstack([s[k][rows] for k in keys]) for t, s in sets.items()}
        if len(concat) > 1 or len(cfg.lr_grid) > 1:
            self.threshold_, self.c_ = select_by_inner_cv(concat, y_tr, cfg.lr_grid, cfg.inner_folds, self.seed)
        else:
            self.threshold_, self.c_ = next(iter(concat)), cfg.lr_grid[0]
        chosen = sets[self.threshold_]
        self.profile_sums_ = {m: label_profile_rates(chosen[f"{m}:raw"][rows], y_tr)
                              for m in ("disease", "drug") if cfg.use_label_profiles and f"{m}:raw" in chosen}
        self.prior_ = y_tr.mean(0)
        self.train_rows_, self.y_train_ = np.asarray(rows), y_tr
        blocks = self.blocks(rows, y=y_tr)
        self.mean_, self.std_ = {}, {}
        for k in (*self.modalities_, *[k for k in blocks if k.endswith(":raw")], "profile"):
            self.mean_[k] = blocks[k].mean(0)
            self.std_[k] = blocks[k].std(0) + 1e-6
        self.members_ = self._fit_members(self.member_inputs(blocks), y_tr)
        return self

    def _fit_members(self, x: dict, y_tr: np.ndarray) -> dict:
        cfg, seed = self.cfg, self.seed
        fitters = {
            "logistic": lambda: fit_logistic(x["logistic"], y_tr, self.c_),
            "extra_trees": lambda: fit_trees(x["trees"], y_tr, cfg, seed, cfg.tree_criterion),
            "profile_trees": lambda: fit_trees(x["profile"], y_tr, cfg, seed),
            "profile_boosting": lambda: fit_boosting(x["profile"], y_tr, cfg, seed),
            "fusion_network": lambda: train_fusion(x["tokens"], y_tr, cfg, seed, self.device),
            "propagation": lambda: tuple(cfg.propagation_graphs),  # nothing to fit beyond the training labels
        }
        weights = dict(zip(MEMBERS, cfg.weights))
        skip = {"propagation"} if x["propagation"] is None else set()
        return {name: fitters[name]() for name in MEMBERS if weights[name] > 0 and name not in skip}

    def blocks(self, rows: np.ndarray, y: np.ndarray | None = None) -> dict:
        """The members' inputs for ``rows``: a dict of unstandardised blocks, with label profiles added.

        ``y`` (the labels of ``rows``) marks them as training rows: their profiles are leave-one-out.
        """
        chosen = self.sets[self.threshold_]
        out = {k: chosen[k][rows] for k in chosen if not k.endswith(":graph")}
        for m, (positives, counts) in self.profile_sums_.items():
            out[f"{m}:labels"] = label_profiles(chosen[f"{m}:raw"][rows], positives, counts, self.prior_,
                                                self.cfg.profile_smoothing, own_labels=y)
        if self.cfg.use_label_profiles:
            for g in self.cfg.propagation_graphs:
                out[f"{g}:propagated"] = propagated_labels(chosen[f"{g}:graph"][np.ix_(rows, self.train_rows_)],
                                                       self.y_train_, self.prior_, self.cfg.propagation_smoothing,
                                                       leave_one_out=y is not None)
        for m in ("disease", "drug"):
            if m in self.modalities_ and f"{m}:labels" in out:
                out[m] = np.hstack([out[m], out[f"{m}:labels"]])
        return out

    def member_inputs(self, blocks: dict) -> dict:
        """Standardised token list, logistic matrix, token-forest matrix, compact profile matrix and the
        propagation member's prediction (the mean of the graphs' propagated label rates; None without them)."""
        std = {k: (blocks[k] - self.mean_[k]) / self.std_[k] for k in self.mean_}
        labels = [k for k in blocks if k.endswith(":labels")]
        raw = [k for k in blocks if k.endswith(":raw")] if self.cfg.use_raw_profiles else []
        propagated = [blocks[k][:, :-1] for k in blocks if k.endswith(":propagated")]
        return {"propagation": np.mean(propagated, 0) if propagated else None,
                "tokens": [std[m] for m in self.modalities_],
                "logistic": np.hstack([std[k] for k in (*self.modalities_, *raw, "profile")]),
                "trees": np.hstack([blocks[k] for k in (*self.modalities_, *labels)]),
                "profile": np.hstack([blocks[k] for k in ("profile", *labels)])}

    def predict_details(self, rows: np.ndarray):
        """``(probabilities (n, 7), modality attention (n, M), fused embedding (n, 128) or None, members)``;
        ``members`` maps each member's name to its own probabilities."""
        x = self.member_inputs(self.blocks(rows))
        attention = np.full((len(rows), len(self.modalities_)), 1 / len(self.modalities_))
        embedding = None
        members = {}
        for name, model in self.members_.items():
            if name == "fusion_network":
                p, attention, embedding = predict_fusion(model, x["tokens"])
            elif name == "logistic":
                p = predict_logistic(model, x["logistic"])
            elif name == "profile_boosting":
                p = predict_logistic(model, x["profile"])
            elif name == "propagation":
                p = x["propagation"]
            else:
                p = predict_trees(model, x["trees" if name == "extra_trees" else "profile"])
            members[name] = p
        weights = dict(zip(MEMBERS, self.cfg.weights))
        prob = sum(weights[n] * p for n, p in members.items()) / sum(weights[n] for n in self.members_)
        return prob, attention, embedding, members

    def predict_proba(self, rows: np.ndarray) -> np.ndarray:
        """(n, 7) ensemble probabilities of ``rows``."""
        return self.predict_details(rows)[0]


# ============================================================================================ cross-validation
@dataclass(eq=False)
class NetworkFold:
    """One fold of the network protocols, the ``fit_predict`` callable of
    :func:`~mirloc_core.training.cv.cross_validate`: fold ``k`` fits :class:`NetworkModel` seeded ``seed + k``
    on its training rows and returns the test rows' probabilities, attention, members' probabilities
    (``member:<name>``) and the chosen ``T`` and ``C``. ``threads`` sets torch's thread count first (1 in worker
    processes; None leaves it)."""

    sets: dict
    y: np.ndarray
    cfg: PipelineConfig
    seed: int = 0
    threads: int | None = None
    device: object = None

    def __call__(self, train: np.ndarray, test: np.ndarray, fold: int) -> dict:
        if self.threads is not None:
            import torch

            torch.set_num_threads(self.threads)
        model = NetworkModel(self.sets, self.cfg, self.seed + fold, self.device).fit(train, self.y[train])
        prob, attention, _, members = model.predict_details(test)
        return {"prob": prob, "attention": attention, **{f"member:{n}": p for n, p in members.items()},
                "chosen": {"T": model.threshold_, "C": model.c_}}


def network_cv(sets: dict, y: np.ndarray, folds: list[np.ndarray], cfg: PipelineConfig, seed: int = 0,
               jobs: int = 1, device=None) -> dict:
    """The network model over given test ``folds`` of the rows of ``sets`` (aligned with ``y``).

    Folds run through :func:`~mirloc_core.training.cv.cross_validate` in ``jobs`` worker processes, each with
    one torch thread; results depend on ``jobs`` only through float round-off (BLAS thread counts differ in the
    workers). Returns the GTMALoc summary (per fold, then averaged), each member's AUC/AUPR, the out-of-fold
    probabilities ``oof`` and modality ``attention``, and the per-fold choice of ``T`` and ``C`` (``chosen``).
    """
    fold_fn = NetworkFold(sets, y, cfg, seed, 1 if jobs > 1 else None, device)
    run = cross_validate(fold_fn, splits_from_folds(folds), jobs=jobs)
    out = per_fold_summary(run, y, "prob")
    names = [k.split(":", 1)[1] for k in run.outputs[0] if k.startswith("member:")]
    out["members"] = {n: {k: v for k, v in per_fold_summary(run, y, f"member:{n}").items() if k in ("auc", "aupr")}
                      for n in names}
    out.update({"oof": run.oof("prob", len(y)), "attention": run.oof("attention", len(y)),
                "chosen": run.per_fold("chosen")})
    return out

"""The sequence models as estimators, the released configurations and datasets, and the release command.

* :class:`SequenceModelEstimator` — one :class:`~mirloc_core.models.sequence.SequenceLocalizer` configuration
  trained with a list of seeds (an ensemble), scikit-learn's contract: ``fit(sequences, y)`` then
  ``predict_proba(sequences)``;
* :class:`LengthRule` — the ≤ 30 nt ⇒ extracellular baseline, as an estimator too;
* :data:`BINARY_CONFIG`, :data:`SEVEN_CONFIG`, the blend weights of the released seven-compartment output, and the
  datasets (:func:`binary_dataset`, :func:`seven_dataset`);
* ``python -m mirloc_core train sequence`` (:func:`cli_train`): train the released models →
  ``weights/sequence/`` (the model card is rendered from ``benchmarks/results/sequence_cv.json``).

Cross-validation of these models is in :mod:`mirloc_core.reports.sequence_cv`; LM pretraining in
:mod:`mirloc_core.training.lm`.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.base import BaseEstimator

from mirloc_core.config import COMPARTMENTS, SHORT_LENGTH, get_device
from mirloc_core.features.alignment import KNN_K
from mirloc_core.models.lm import RNALanguageModel, tokenize
from mirloc_core.models.sequence import ModelConfig, SequenceEnsemble, SequenceLocalizer, global_features, \
    length_groups

# --------------------------------------------------------------------------- inputs, one model, predictions


@torch.no_grad()
def lm_features(lm: RNALanguageModel | None, sequences: list[str], batch_size: int = 256) -> list:
    """Frozen LM hidden states per sequence, each (len, dim), computed without padding (exact-length groups)."""
    if lm is None:
        return [None] * len(sequences)
    lm.eval()
    out: list = [None] * len(sequences)
    for group in length_groups(sequences, batch_size):
        tokens, lengths = tokenize([sequences[i] for i in group])
        hidden = lm(tokens, lengths)
        for row, i in enumerate(group):
            out[i] = hidden[row]
    return out


class SequenceInputs:
    """Pre-computed model inputs for a fixed list of sequences (tokens, LM states, global features).

    ``inputs[idx]`` is the same inputs restricted to rows ``idx`` (sharing the computed LM states), so that a
    cross-validation computes the LM states once and passes row subsets to :class:`SequenceModelEstimator`.
    """

    def __init__(self, sequences: list[str], cfg: ModelConfig, lm: RNALanguageModel | None):
        self.cfg = cfg
        self.sequences = list(sequences)
        self.lm = lm_features(lm if "lm" in cfg.encoders else None, self.sequences)
        self.glob = global_features(self.sequences, cfg.globals)

    def __len__(self) -> int:
        return len(self.sequences)

    def __getitem__(self, idx) -> "SequenceInputs":
        idx = np.asarray(idx)
        subset = object.__new__(SequenceInputs)
        subset.cfg = self.cfg
        subset.sequences = [self.sequences[i] for i in idx]
        subset.lm = [self.lm[i] for i in idx]
        subset.glob = self.glob[idx]
        return subset

    def batch(self, idx) -> tuple:
        """Tokens, lengths, padded LM states (or None) and global features of rows ``idx``."""
        seqs = [self.sequences[i] for i in idx]
        tokens, lengths = tokenize(seqs)
        hidden = None
        if self.lm[idx[0]] is not None:
            hidden = torch.zeros(len(idx), tokens.shape[1], self.lm[idx[0]].shape[1])
            for row, i in enumerate(idx):
                hidden[row, : len(self.sequences[i])] = self.lm[i]
        return tokens, lengths, hidden, torch.from_numpy(self.glob[idx])


def _batches(idx: np.ndarray, lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list:
    """Random batches of similar length (less padding), in random order."""
    idx = np.asarray(idx)
    order = idx[np.lexsort((rng.random(len(idx)), lengths[idx]))]
    chunks = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(chunks)
    return chunks


def fit_model(cfg: ModelConfig, inputs: SequenceInputs, train_idx: np.ndarray, targets: np.ndarray, seed: int = 0,
              epochs: int = 30, batch_size: int = 32, lr: float = 2e-3, weight_decay: float = 1e-2,
              device: str | None = None) -> SequenceLocalizer:
    """Train one :class:`~mirloc_core.models.sequence.SequenceLocalizer` with binary cross-entropy.

    Parameters
    ----------
    cfg : ModelConfig
    inputs : SequenceInputs
        Inputs of all sequences; only ``train_idx`` rows are used.
    train_idx : ndarray of int
    targets : ndarray (N, n_outputs) of 0/1, aligned with ``inputs``.
    device : str, optional
        ``"cpu"``, ``"cuda"`` or None (see :func:`mirloc_core.config.get_device`); the model returns on the CPU.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = SequenceLocalizer(cfg)
    model.set_global_scaling(inputs.glob[train_idx])
    device = get_device(device)
    model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    lengths = np.array([len(s) for s in inputs.sequences])
    y = torch.from_numpy(np.asarray(targets, dtype=np.float32))
    n_steps = epochs * math.ceil(len(train_idx) / batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=n_steps, pct_start=0.1)
    model.train()
    for _ in range(epochs):
        for idx in _batches(train_idx, lengths, batch_size, rng):
            batch = [t.to(device) if t is not None else None for t in inputs.batch(idx)]
            logits, _ = model(*batch)
            loss = F.binary_cross_entropy_with_logits(logits, y[idx].to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    model.eval()
    return model.cpu()


@torch.no_grad()
def predict_models(models: list, inputs: SequenceInputs, idx: np.ndarray, batch_size: int = 128) -> np.ndarray:
    """Mean sigmoid probabilities of ``models`` for rows ``idx`` (padded, masked batches)."""
    lengths = np.array([len(s) for s in inputs.sequences])
    idx = np.asarray(idx)
    order = idx[np.argsort(lengths[idx], kind="stable")]
    out = {}
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        tokens, lens, hidden, glob = inputs.batch(chunk)
        p = torch.stack([torch.sigmoid(m(tokens, lens, hidden, glob)[0]) for m in models]).mean(0).numpy()
        for row, i in enumerate(chunk):
            out[int(i)] = p[row]
    return np.stack([out[int(i)] for i in idx])


# --------------------------------------------------------------------------- estimators

EPOCHS = 15
SEEDS = (0, 1, 2)


class SequenceModelEstimator(BaseEstimator):
    """An ensemble of one sequence-model configuration, one member per seed (scikit-learn's contract).

    Parameters
    ----------
    config : dict or ModelConfig
        The architecture (e.g. :data:`BINARY_CONFIG`).
    lm : RNALanguageModel or None
        The frozen language model (needed when ``config`` uses the ``lm`` encoder and ``fit`` gets sequences).
    seeds : tuple of int
        One member per seed; probabilities are averaged over members.
    epochs, batch_size, lr, weight_decay : training settings of :func:`fit_model`.
    device : str or None
        Training device (``"cpu"``, ``"cuda"``, None: automatic).

    ``fit(X, y)`` and ``predict_proba(X)`` take ``X`` as a list of sequences, or as :class:`SequenceInputs`
    already computed for this configuration (a cross-validation passes ``inputs[train]``, ``inputs[test]``);
    ``y`` is (N, n_outputs) of 0/1 and ``predict_proba`` returns (N, n_outputs) probabilities.
    """

    def __init__(self, config=None, lm=None, seeds=(0,), epochs: int = EPOCHS, batch_size: int = 32,
                 lr: float = 2e-3, weight_decay: float = 1e-2, device: str | None = None):
        self.config = config
        self.lm = lm
        self.seeds = seeds
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.device = device

    @property
    def model_config(self) -> ModelConfig:
        """The configuration as a :class:`~mirloc_core.models.sequence.ModelConfig`."""
        config = BINARY_CONFIG if self.config is None else self.config
        return config if isinstance(config, ModelConfig) else ModelConfig(**config)

    def inputs(self, X) -> SequenceInputs:
        """``X`` as :class:`SequenceInputs` of this configuration (computed when ``X`` holds sequences)."""
        cfg = self.model_config
        if isinstance(X, SequenceInputs):
            if ("lm" in X.cfg.encoders) != ("lm" in cfg.encoders) or X.cfg.globals != cfg.globals:
                raise ValueError(f"inputs computed for {X.cfg} do not fit the configuration {cfg}")
            return X
        return SequenceInputs(list(X), cfg, self.lm)

    def fit(self, X, y) -> "SequenceModelEstimator":
        inputs = self.inputs(X)
        rows = np.arange(len(inputs))
        self.models_ = [fit_model(self.model_config, inputs, rows, y, seed=s, epochs=self.epochs,
                                  batch_size=self.batch_size, lr=self.lr, weight_decay=self.weight_decay,
                                  device=self.device) for s in self.seeds]
        return self

    def predict_proba(self, X) -> np.ndarray:
        inputs = self.inputs(X)
        return predict_models(self.models_, inputs, np.arange(len(inputs)))

    def ensemble(self) -> SequenceEnsemble:
        """The fitted members as a :class:`~mirloc_core.models.sequence.SequenceEnsemble` (what is released)."""
        return SequenceEnsemble(self.models_, self.lm)


class LengthRule(BaseEstimator):
    """The length rule: 1 (intracellular) when longer than ``short_length`` nt, else 0 (extracellular).

    Nothing is learnt (``fit`` only checks its input); ``predict_proba`` returns (N, 1), like the binary
    :class:`SequenceModelEstimator`.
    """

    def __init__(self, short_length: int = SHORT_LENGTH):
        self.short_length = short_length

    def fit(self, X, y=None) -> "LengthRule":
        self.n_train_ = len(X)
        return self

    def predict_proba(self, X) -> np.ndarray:
        return length_rule(list(X), self.short_length)[:, None].astype(np.float64)


def length_rule(sequences: list[str], short_length: int = SHORT_LENGTH) -> np.ndarray:
    """The length rule's calls: 1 (intracellular) when longer than ``short_length`` nt, else 0."""
    return np.array([int(len(s) > short_length) for s in sequences])


# --------------------------------------------------------------------------- released models

BINARY_CONFIG = dict(n_outputs=1, encoders=("onehot", "kmer", "lm"), globals=("length", "kmerfreq"),
                     cnn_channels=16, lstm_hidden=16, heads=4, attn_dim=32, mlp_hidden=32, dropout=0.3)
SEVEN_CONFIG = dict(BINARY_CONFIG, n_outputs=7)
SEVEN_KNN_BLEND = 0.5
"""Weight of kNN-SW homology transfer in the released neural + kNN-SW part of the seven-compartment output, chosen
on the seven-compartment CV (the parts alone and blended: ``sevencomp`` in ``benchmarks/results/sequence_cv.json``)."""
SEVEN_CONSERVATION_WEIGHT = 0.7
"""Weight of the conservation head (:mod:`mirloc_core.features.conservation`) in the released seven-compartment output;
the other 0.3 is the neural + kNN-SW blend above. Chosen a priori from a 10-fold check of conservation + kNN-SW
alone (0.7 beat 0.3 and 0.5 on both splits) on the same miRNAs, so a mild optimistic bias."""


def binary_dataset() -> tuple[list[str], np.ndarray, np.ndarray]:
    """RNALoc-LM train.tsv: sequences, labels (N, 1) with 1 = intracellular, and kind (mature / precursor)."""
    from mirloc_core.io.data import load_rnaloc_train

    frame = load_rnaloc_train()
    return frame["sequence"].tolist(), frame["label"].to_numpy()[:, None].astype(np.float32), frame["kind"].to_numpy()


def seven_dataset() -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
    """Labelled network miRNAs that have a miRBase sequence: sequences, labels (N, 7), names, network rows."""
    from mirloc_core.io.data import load_network, map_names_to_sequences

    net = load_network()
    mapping = map_names_to_sequences()
    rows = np.flatnonzero(net.labelled & (mapping["sequence"] != "").to_numpy())
    return (mapping["sequence"].to_numpy()[rows].tolist(), net.labels[rows].astype(np.float32),
            [net.names[i] for i in rows], rows)


def train_ensemble(cfg, sequences: list[str], targets: np.ndarray, lm, seeds=SEEDS, epochs: int = EPOCHS,
                   device: str | None = None) -> SequenceEnsemble:
    """Fit one model per seed on all ``sequences``; returns a :class:`SequenceEnsemble`."""
    estimator = SequenceModelEstimator(cfg, lm, tuple(seeds), epochs, device=device)
    return estimator.fit(sequences, targets).ensemble()


# --------------------------------------------------------------------------- the release command


def _train_release(lm, seeds: tuple, epochs: int, device: str | None) -> dict:
    """Both released ensembles, their data sizes and training seconds."""
    start = time.perf_counter()
    seqs, y, _ = binary_dataset()
    binary = train_ensemble(ModelConfig(**BINARY_CONFIG), seqs, y, lm, seeds, epochs, device)
    timings = {"binary_seconds": round(time.perf_counter() - start, 1)}
    seqs7, y7, names7, _ = seven_dataset()
    seven = train_ensemble(ModelConfig(**SEVEN_CONFIG), seqs7, y7, lm, seeds, epochs, device)
    timings["sevencomp_seconds"] = round(time.perf_counter() - start - timings["binary_seconds"], 1)
    return {"binary": binary, "seven": seven, "n_binary": len(seqs), "seqs7": seqs7, "y7": y7, "names7": names7,
            "timings": timings}


def _save_release(out: Path, fitted: dict, lm_sha: str, seeds: tuple, epochs: int, knn_blend: float,
                  conservation_weight: float) -> None:
    """Write the ensembles, the kNN-SW reference and the conservation head into ``out``."""
    from mirloc_core.features.conservation import FEATURES, HEAD_FILE, conservation_features, fit_head
    from mirloc_core.io.artifacts import save_tensors

    seqs7, y7 = fitted["seqs7"], fitted["y7"]
    save_tensors(out / "binary.safetensors", fitted["binary"].state_tensors(),
                 {"config": ModelConfig(**BINARY_CONFIG).to_dict(),
                  "task": "extracellular (0) vs intracellular (1), RNALoc-LM train.tsv",
                  "seeds": list(seeds), "epochs": epochs, "lm_sha256": lm_sha, "n_train": fitted["n_binary"]})
    save_tensors(out / "sevencomp.safetensors", fitted["seven"].state_tensors(),
                 {"config": ModelConfig(**SEVEN_CONFIG).to_dict(),
                  "task": "seven compartments (multi-label), labelled network miRNAs",
                  "compartments": list(COMPARTMENTS),
                  "seeds": list(seeds), "epochs": epochs, "lm_sha256": lm_sha, "n_train": len(seqs7)})
    reference = out / "sevencomp_reference.json"
    if knn_blend > 0:
        reference.write_text(json.dumps({"k": KNN_K, "weight": knn_blend, "names": fitted["names7"],
                                         "sequences": seqs7, "labels": y7.astype(int).tolist()}) + "\n")
    elif reference.exists():
        reference.unlink()
    head_path = out / HEAD_FILE
    if conservation_weight > 0:
        save_tensors(head_path, fit_head(conservation_features(seqs7), y7),
                     {"task": "seven compartments from conservation features (miRBase 22: other species, and "
                              "other human loci)",
                      "features": list(FEATURES), "weight": conservation_weight, "n_train": len(seqs7)})
    elif head_path.exists():
        head_path.unlink()


def _parse_train_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m mirloc_core train sequence", description=cli_train.__doc__)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--seeds", type=int, default=len(SEEDS))
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: MIRLOC_DEVICE, else automatic)")
    parser.add_argument("--knn-blend", type=float, default=SEVEN_KNN_BLEND,
                        help="weight of kNN-SW homology transfer in the seven-compartment output (0: off)")
    parser.add_argument("--conservation-weight", type=float, default=SEVEN_CONSERVATION_WEIGHT,
                        help="weight of the conservation head in the seven-compartment output (0: off)")
    return parser.parse_args(argv)


def cli_train(argv: list[str]) -> int:
    """``python -m mirloc_core train sequence [--threads T] [--epochs E] [--seeds N]`` → ``weights/sequence/``."""
    from mirloc_core.config import Settings
    from mirloc_core.io.artifacts import read_json, verify_manifest, write_manifest
    from mirloc_core.io.data import data_fingerprint, file_sha256
    from mirloc_core.models.lm import LM_FILE
    from mirloc_core.pretrained import load_lm
    from mirloc_core.reports.sequence_markdown import sequence_model_card

    args = _parse_train_args(argv)
    settings = Settings.from_env(threads=args.threads, device=args.device)
    if settings.threads:
        torch.set_num_threads(int(settings.threads))
    root = settings.weights_dir
    out = args.out or root / "sequence"
    verify_manifest(root / "lm")
    lm = load_lm(root / "lm")
    seeds = tuple(range(args.seeds))
    fitted = _train_release(lm, seeds, args.epochs, settings.device)
    out.mkdir(parents=True, exist_ok=True)
    lm_sha = file_sha256(root / "lm" / LM_FILE)
    _save_release(out, fitted, lm_sha, seeds, args.epochs, args.knn_blend, args.conservation_weight)
    metrics = (read_json(settings.results_dir / "sequence_cv.json", {}) or {}).get("summary", {})
    (out / "model_card.md").write_text(sequence_model_card(metrics, args.knn_blend, args.conservation_weight,
                                                           fitted["n_binary"], len(fitted["seqs7"]), len(seeds),
                                                           args.epochs))
    write_manifest(out, "sequence-models", metrics=metrics,
                   config={"binary": {"name": "binary", **ModelConfig(**BINARY_CONFIG).to_dict()},
                           "sevencomp": ModelConfig(**SEVEN_CONFIG).to_dict(),
                           "epochs": args.epochs, "seeds": list(seeds), "lm_sha256": lm_sha,
                           "timings": fitted["timings"], "threads": args.threads, "knn_blend": args.knn_blend,
                           "conservation_weight": args.conservation_weight},
                   data=data_fingerprint(("network1041", "mirbase22", "rnaloc_lm_mirna")))
    print(f"wrote {out} ({fitted['timings']})")
    return 0

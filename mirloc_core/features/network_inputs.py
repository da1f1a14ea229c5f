"""The network model's label-free inputs: node2vec, graph-transformer refinement, name and conservation
features, log degrees and raw association rows, for the 1,041 network miRNAs.

Everything here is unsupervised (no localization labels): it is computed once on all 1,041 miRNAs
(transductive but label-free) and cached on disk. What sees labels (standardisation, the choice of ``T`` and of
the logistic penalty, the label profiles, the models) is fitted inside the training folds by
:mod:`mirloc_core.training.network`.

:class:`NetworkFeatureConfig` holds the settings these features depend on (the training pipeline's
:class:`~mirloc_core.training.network.PipelineConfig` builds one with ``feature_config()``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mirloc_core.models.graph import MODALITIES


@dataclass(frozen=True)
class NetworkFeatureConfig:
    """The settings of the label-free network features (the defaults are the released pipeline's)."""

    thresholds: tuple = (0.6, 0.8)          # candidate T for the functional graph, chosen by inner CV
    n2v_walk_length: int = 40
    n2v_num_walks: int = 20
    n2v_window: int = 5
    gt_dim: int = 128
    gt_layers: int = 2
    gt_heads: int = 4
    gt_epochs: int = 60
    gt_lr: float = 2e-3
    use_name_features: bool = False         # name-derived (ablation only): name kind, log length, miRBase number,
    #                                         suffixes; never in a released model (issue 13)
    use_conservation_features: bool = True  # other species and human paralogs sharing k-mers (sequence token)
    conservation_kinds: tuple = ("species", "paralogs")  # which of them (:data:`~mirloc_core.features.
    #                                         conservation.OWN_FEATURE_KINDS`); not "length": the length of the
    #                                         miRBase entry a name maps to is the naming (hairpin vs mature)
    features: str = "own"                   # "own" or "published"
    drop: tuple = ()                        # modalities removed (ablations)
    use_graph_transformer: bool = True
    propagation_graphs: tuple = ()          # graphs (:data:`~mirloc_core.features.propagation.GRAPHS`) whose RWR
    #                                         operator feeds the propagated-label feature
    propagation_k: int = 20                 # kNN of those graphs
    propagation_walk: float = 0.5           # RWR continuation probability a (restart 1 - a)


def node2vec_settings(cfg: NetworkFeatureConfig, dim: int):
    """:class:`~mirloc_core.features.node2vec.Node2VecSettings` of ``cfg`` in ``dim`` dimensions."""
    from mirloc_core.features.node2vec import Node2VecSettings

    return Node2VecSettings(dim=dim, walk_length=cfg.n2v_walk_length, num_walks=cfg.n2v_num_walks,
                            window=cfg.n2v_window)


def refined_features(features: np.ndarray, threshold: float, cfg: NetworkFeatureConfig, name: str,
                     cache_dir: Path | None = None, device=None) -> np.ndarray:
    """Graph-transformer refinement of one modality over the functional graph at ``threshold`` (cached)."""
    from mirloc_core.features.graph_refinement import train_graph_transformer
    from mirloc_core.features.networks import cached_array, functional_graph

    edges = functional_graph(threshold, cache_dir=cache_dir)
    params = {"T": threshold, "dim": cfg.gt_dim, "layers": cfg.gt_layers, "heads": cfg.gt_heads,
              "epochs": cfg.gt_epochs, "lr": cfg.gt_lr, "seed": 0}
    return cached_array(f"gt-{name}", params, (np.asarray(features, np.float32), edges),
                        lambda: train_graph_transformer(features, edges, cfg.gt_dim, cfg.gt_layers, cfg.gt_heads,
                                                        cfg.gt_epochs, cfg.gt_lr, seed=0, device=device),
                        cache_dir)


def base_embeddings(cfg: NetworkFeatureConfig, timings: dict | None = None,
                    cache_dir: Path | None = None) -> dict[str, np.ndarray]:
    """Unrefined per-modality features: node2vec (own) or the published files; mRNA is always published."""
    from mirloc_core.io.data import load_published_features

    timings = {} if timings is None else timings
    pub = load_published_features()
    if cfg.features == "published":
        return {"sequence": pub["seq"], "disease": pub["disease"], "drug": pub["drug"], "mRNA": pub["mrna"]}
    from mirloc_core.features.node2vec import network_embeddings

    start = time.perf_counter()
    emb = network_embeddings(node2vec_settings(cfg, 64), node2vec_settings(cfg, 128), cache_dir=cache_dir)
    timings["node2vec_s"] = round(timings.get("node2vec_s", 0.0) + time.perf_counter() - start, 2)
    return {"sequence": emb["seq"], "disease": emb["disease"], "drug": emb["drug"], "mRNA": pub["mrna"]}


def sequence_conservation(cache_dir=None, kinds: tuple = ("species", "paralogs", "length")) -> np.ndarray:
    """(1041, F) conservation features (:func:`mirloc_core.features.conservation.conservation_features`) of each
    network miRNA's miRBase sequence, the columns of ``kinds`` (:func:`~mirloc_core.features.conservation.
    own_columns`): how many other species, and other human loci, share its k-mers (and its length); zeros for
    the names without a sequence. Label-free (miRBase only); the ablations ``without_conservation_features``,
    ``without_paralog_features`` and ``without_species_conservation`` measure what they add."""
    from mirloc_core.features.conservation import OWN_FEATURES, conservation_features, indexes, own_columns
    from mirloc_core.io.data import map_names_to_sequences

    seqs = map_names_to_sequences()["sequence"].fillna("").tolist()
    rows = [i for i, seq in enumerate(seqs) if seq]
    out = np.zeros((len(seqs), len(OWN_FEATURES)), np.float32)
    out[rows] = conservation_features([seqs[i] for i in rows], indexes(cache_dir=cache_dir), host=False)
    return out[:, own_columns(kinds)]


def _token_blocks(cfg: NetworkFeatureConfig, threshold: float, timings: dict, cache_dir, device) -> dict:
    """node2vec ⊕ GT ⊕ extras per modality (lists of blocks), before dropping modalities."""
    from mirloc_core.io.data import load_network, load_published_features

    net = load_network()
    pub = load_published_features()
    base = base_embeddings(cfg, timings, cache_dir)
    start = time.perf_counter()
    blocks: dict[str, list[np.ndarray]] = {m: [base[m]] for m in MODALITIES}
    if cfg.use_graph_transformer:
        for m in MODALITIES:
            if cfg.features == "published" and m != "sequence":
                blocks[m].append(pub[{"disease": "gt_disease", "drug": "gt_drug", "mRNA": "gt_mrna"}[m]])
            else:
                blocks[m].append(refined_features(base[m], threshold, cfg, f"{cfg.features}-{m}", cache_dir,
                                                  device))
    timings["graph_transformer_s"] = round(timings.get("graph_transformer_s", 0.0) + time.perf_counter() - start, 2)
    deg = np.log1p(np.c_[net.disease.sum(1), net.drug.sum(1)]).astype(np.float32)
    blocks["disease"].append(deg)
    blocks["drug"].append(deg)
    blocks["mRNA"].append(pub["coloc"])
    return blocks


def modality_inputs(cfg: NetworkFeatureConfig, threshold: float, timings: dict | None = None,
                    cache_dir: Path | None = None, device=None) -> dict[str, np.ndarray]:
    """The model inputs (1,041 rows each) for one functional-graph threshold ``T``.

    Token blocks (the fusion network's four modality tokens; all models see them):
    ``sequence`` = node2vec ⊕ GT ⊕ conservation features (⊕ name features,
    :func:`~mirloc_core.features.names.name_features`, only in the ``use_name_features`` ablation); ``disease`` = node2vec ⊕ GT ⊕ log degrees; ``drug`` likewise;
    ``mRNA`` = published node2vec ⊕ GT ⊕ co-localization. With ``features="published"`` the GT part is the
    published ``gt_feature_*`` file (none is published for sequence: its GT part is ours).
    Raw association rows ``disease:raw`` and ``drug:raw`` feed the logistic regression (when the pipeline uses raw
    profiles), and are where the label profiles (fitted per training fold) come from.
    ``profile`` (name and conservation features + log degrees) feeds the two profile members.
    """
    from mirloc_core.features.names import name_features
    from mirloc_core.io.data import load_network

    timings = {} if timings is None else timings
    net = load_network()
    blocks = _token_blocks(cfg, threshold, timings, cache_dir, device)
    sequence_extras = [name_features()] if cfg.use_name_features else []
    if cfg.use_conservation_features:
        sequence_extras.append(sequence_conservation(cache_dir, cfg.conservation_kinds))
    blocks["sequence"].extend(sequence_extras)
    out = {m: np.hstack(blocks[m]).astype(np.float32) for m in MODALITIES if m not in cfg.drop}
    kept = [m for m in ("disease", "drug") if m not in cfg.drop]
    # fold-independent inputs of the profile members: name and conservation features + log degrees of the kept
    # association graphs
    profile = list(sequence_extras)
    profile += [np.log1p(getattr(net, m).sum(1, keepdims=True)).astype(np.float32) for m in kept]
    out["profile"] = np.hstack(profile).astype(np.float32)
    for m in kept:  # the label profiles are computed from these in every fold
        out[f"{m}:raw"] = getattr(net, m).astype(np.float32)
    if cfg.propagation_graphs:  # propagated labels are computed from these in every fold
        from mirloc_core.features.propagation import propagation_operator

        for g in cfg.propagation_graphs:
            out[f"{g}:graph"] = propagation_operator(g, cfg.propagation_k, cfg.propagation_walk, cache_dir)
    return out


def feature_sets(cfg: NetworkFeatureConfig, timings: dict | None = None, cache_dir: Path | None = None,
                 device=None) -> dict[float, dict[str, np.ndarray]]:
    """Modality inputs for every candidate threshold in ``cfg.thresholds`` (or one set without the GT)."""
    thresholds = cfg.thresholds if cfg.use_graph_transformer else (cfg.thresholds[0],)
    return {t: modality_inputs(cfg, t, timings, cache_dir, device) for t in thresholds}


def timed_features(cfg: NetworkFeatureConfig, timings: dict, cache_dir: Path | None = None,
                   device=None) -> dict[float, dict[str, np.ndarray]]:
    """Build (or read from the cache) both similarity graphs and the feature sets, timing each stage."""
    from mirloc_core.features.networks import functional_similarity, sequence_similarity

    for name, build in (("sequence_similarity_s", sequence_similarity),
                        ("functional_similarity_s", functional_similarity)):
        start = time.perf_counter()
        build(cache_dir=cache_dir)
        timings[name] = round(time.perf_counter() - start, 2)
    return feature_sets(cfg, timings, cache_dir, device)


def labelled_sets(sets: dict, labelled_index: np.ndarray) -> dict:
    """Restrict every feature block to the labelled rows (so that rows align with the label matrix); the
    propagation operators (``*:graph``) to the labelled rows and columns."""
    def restrict(m, x):
        return x[np.ix_(labelled_index, labelled_index)] if m.endswith(":graph") else x[labelled_index]

    return {t: {m: restrict(m, x) for m, x in s.items()} for t, s in sets.items()}

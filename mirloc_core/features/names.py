"""Label-free features of the network miRNAs' names: how a name maps to miRBase, what the name itself says
(miRBase number, suffixes, let-7 family), and homology groups (same family stem or similar sequence).

The miRBase number of ``hsa-mir-21`` is 21; numbers were given in order of discovery, so it is a proxy of how
long a miRNA has been studied. These features carry the same kind of study-age signal as the study-bias baseline,
and the copy suffix tracks how entries were annotated (issue 13). **No released model uses them**
(``PipelineConfig.use_name_features`` is False); they remain an ablation (the network benchmark's grid) and the
name-only baseline.

All nine columns count as name-derived, including ``log_length``: it is the length of the miRBase entry the *name*
maps to (a hairpin-style name maps to a ~80-nt precursor, a mature-style name to a ~22-nt mature; 0 when the name
maps to nothing), so it re-encodes the hairpin/mature naming rather than a property of the molecule. The
sequence itself still reaches the name-free model through the Smith–Waterman similarity graph (node2vec) and the
conservation k-mer features.
"""

from __future__ import annotations

import re

import numpy as np

NAME_FEATURES = ("hairpin", "mature", "family", "none", "log_length", "log_mirbase_number", "letter_suffix",
                 "copy_number", "let_family")
"""Columns of :func:`name_features`."""

_NAME = re.compile(r"^[a-z]{3}-(mir|miR|let)-(\d+)([a-z]*)(?:-(\d+))?")
_FAMILY = re.compile(r"^([a-z]{3}-(?:mir|miR|let)-\d+)")


def parse_name(name: str) -> list[float]:
    """``[log(1 + miRBase number), letter suffix, copy number, let-7 family]`` of one miRNA name;
    ``[-1, 0, 0, 0]`` when the name has no number (e.g. ``hsa-mir-21`` → ``[log 22, 0, 0, 0]``)."""
    match = _NAME.match(name)
    if match is None:
        return [-1.0, 0.0, 0.0, 0.0]
    return [np.log1p(int(match.group(2))), float(bool(match.group(3))), float(match.group(4) or 0),
            float(match.group(1) == "let")]


def name_features() -> np.ndarray:
    """(1041, 9) features of each network name, in the order of :data:`NAME_FEATURES`.

    How the name maps to miRBase (one-hot: hairpin, mature, family, none) and log(1 + sequence length); then
    what the name itself says (:func:`parse_name`): log(1 + miRBase number), a letter suffix (``-7a``), the
    genomic copy number (``-1``, ``-2``; 0 when none) and membership of the let-7 family; -1 where the name has
    no number.
    """
    from mirloc_core.io.data import load_network, map_names_to_sequences

    mapping = map_names_to_sequences()
    onehot = np.stack([(mapping["source"] == s).to_numpy() for s in ("hairpin", "mature", "family", "none")], 1)
    length = np.log1p(mapping["sequence"].fillna("").str.len().to_numpy())[:, None]
    parsed = [parse_name(name) for name in load_network().names]
    return np.hstack([onehot, length, np.array(parsed)]).astype(np.float32)


def family_key(name: str) -> str:
    """miRNA family of a network name: the ``hsa-mir-N`` / ``hsa-let-N`` stem (letters, copy numbers dropped)."""
    match = _FAMILY.match(name)
    return match.group(1) if match else name


def homology_groups(names: list[str], similarity: np.ndarray, identity: float = 0.8) -> np.ndarray:
    """Connected components of "same family or sequence similarity > ``identity``" (group id per miRNA)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    n = len(names)
    fam = {}
    fam_ids = np.array([fam.setdefault(family_key(x), len(fam)) for x in names])
    same_family = sp.csr_matrix((np.ones(n), (np.arange(n), fam_ids)), shape=(n, len(fam)))
    adj = (same_family @ same_family.T) + sp.csr_matrix(similarity > identity)
    return connected_components(adj, directed=False)[1]

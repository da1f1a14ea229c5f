"""Loaders for the shared data set, with shape checks and clear messages.

Everything is read from a data directory: the ``root`` argument every loader takes (e.g. ``settings.data_dir``),
else :func:`mirloc_core.config.data_dir` (environment variable ``MIRLOC_DATA``, default ``../shared/data``).
Each loader validates what it reads and raises :class:`~mirloc_core.config.DataMissingError` naming the
file and the problem when a file is missing or malformed. Nothing here is copied into the repository.

Main entry points
-----------------
load_network
    The 1,041-miRNA multi-source network benchmark (labels, associations, published features).
load_mirbase
    miRBase 22 hairpin or mature sequences (human or all species).
map_names_to_sequences
    The documented name → sequence rule for the 1,041 network names.
load_rnaloc_train
    RNALoc-LM's binary (extracellular / intracellular) training set.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mirloc_core.config import COMPARTMENTS, DataMissingError, data_dir

N_MIRNA = 1041
N_DISEASE = 640
N_DRUG = 130
N_MRNA = 2836
MRNA_COMPARTMENTS = ("Cytoplasm", "Exosome", "Nucleolus", "Nucleus")


def _root(root=None) -> Path:
    return Path(root).expanduser().resolve() if root is not None else data_dir()


def _path(*parts: str, root=None) -> Path:
    base = _root(root)
    path = base.joinpath(*parts)
    if not path.is_file():
        raise DataMissingError(
            f"missing data file {path}: set MIRLOC_DATA to the shared data directory "
            f"(currently {base}); see ../shared/data/README.md"
        )
    return path


def file_sha256(path: Path) -> str:
    """Return the hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _matrix(name: str, shape: tuple[int, int], binary: bool = True, delimiter: str = ",",
            root=None) -> np.ndarray:
    path = _path("network1041", name, root=root)
    try:
        matrix = np.loadtxt(path, delimiter=delimiter, dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise DataMissingError(f"malformed matrix {path}: {exc}") from exc
    if matrix.shape != shape:
        raise DataMissingError(f"malformed matrix {path}: expected shape {shape}, found {matrix.shape}")
    if binary and not np.isin(matrix, (0.0, 1.0)).all():
        raise DataMissingError(f"malformed matrix {path}: expected only 0/1 entries")
    return matrix.astype(np.float32)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _published(name: str, n_cols: int, root=None) -> np.ndarray:
    path = _path("network1041", "published_features", name, root=root)
    first = path.open().readline()
    has_header = not _is_number(first.split(",")[-1])
    frame = pd.read_csv(path, header=0 if has_header else None)
    if frame.shape[1] == n_cols + 1:  # an index column (named "Index" or unnamed)
        frame = frame.iloc[:, 1:]
    if frame.shape != (N_MIRNA, n_cols):
        raise DataMissingError(f"malformed feature file {path}: expected {N_MIRNA} x {n_cols}, found {frame.shape}")
    return frame.to_numpy(dtype=np.float32)


@dataclass(frozen=True)
class NetworkData:
    """The 1,041-miRNA network benchmark, in the row order of ``miRNA_ID_1041.txt``.

    Attributes
    ----------
    names : list of str
        miRNA names (precursor, mature-like and family names).
    labels : ndarray, shape (1041, 7)
        0/1 localization labels, columns in :data:`~mirloc_core.config.COMPARTMENTS` order.
    labelled : ndarray of bool, shape (1041,)
        True for the 901 miRNAs that carry localization labels.
    disease : ndarray, shape (1041, 640)
        miRNA–disease associations (HMDD v3.2).
    drug : ndarray, shape (1041, 130)
        miRNA–drug associations (ncDR).
    mrna_localization : ndarray, shape (2836, 4)
        Localization of target mRNAs (Cytoplasm, Exosome, Nucleolus, Nucleus).
    """

    names: list
    labels: np.ndarray
    labelled: np.ndarray
    disease: np.ndarray
    drug: np.ndarray
    mrna_localization: np.ndarray

    @property
    def labelled_index(self) -> np.ndarray:
        """Row indices of the labelled miRNAs (901)."""
        return np.flatnonzero(self.labelled)

    def index_of(self, name: str) -> int:
        """Row index of a network miRNA name (``KeyError`` when unknown)."""
        return self.names.index(name)


@functools.lru_cache(maxsize=2)
def _load_network_cached(root: str) -> NetworkData:
    names_path = _path("network1041", "miRNA_ID_1041.txt", root=root)
    names = [line.strip() for line in names_path.read_text().splitlines() if line.strip()]
    if len(names) != N_MIRNA or len(set(names)) != N_MIRNA:
        raise DataMissingError(f"malformed {names_path}: expected {N_MIRNA} unique names, found {len(names)}")
    labels = _matrix("miRNA_localization.csv", (N_MIRNA, len(COMPARTMENTS)), root=root)
    mask_path = _path("network1041", "miRNA_have_loc_information_index.txt", root=root)
    mask = np.array([int(x) for x in mask_path.read_text().split()], dtype=np.int64)
    if mask.shape != (N_MIRNA,) or not np.isin(mask, (0, 1)).all():
        raise DataMissingError(f"malformed {mask_path}: expected {N_MIRNA} lines of 0/1")
    disease = _matrix("miRNA_disease.csv", (N_MIRNA, N_DISEASE), root=root)
    drug = _matrix("miRNA_drug.csv", (N_MIRNA, N_DRUG), root=root)
    mrna = _matrix("mRNA_localization.txt", (N_MRNA, len(MRNA_COMPARTMENTS)), delimiter="\t", root=root)
    return NetworkData(names, labels, mask.astype(bool), disease, drug, mrna)


def load_network(root=None) -> NetworkData:
    """Load and validate the 1,041-miRNA network benchmark (cached per data directory)."""
    return _load_network_cached(str(_root(root)))


def load_published_features(root=None) -> dict[str, np.ndarray]:
    """Load the papers' published feature files, 1,041 rows each.

    Returns
    -------
    dict
        ``seq`` (64-d node2vec on sequence similarity), ``disease``, ``drug``, ``mrna`` (128-d node2vec),
        ``coloc`` (4-d miRNA–mRNA co-localization), ``gt_disease``, ``gt_drug``, ``gt_mrna`` (128-d).
    """
    return {
        "seq": _published("miRNA_seq_feature_64.csv", 64, root),
        "disease": _published("miRNA_disease_feature_128.csv", 128, root),
        "drug": _published("miRNA_drug_feature_128.csv", 128, root),
        "mrna": _published("miRNA_mRNA_network_feature_128.csv", 128, root),
        "coloc": _published("miRNA_mRNA_co-localization_feature.csv", 4, root),
        "gt_disease": _published("gt_feature_disease_0.8_128_0.01.csv", 128, root),
        "gt_drug": _published("gt_feature_drug_0.8_128_0.01.csv", 128, root),
        "gt_mrna": _published("gt_feature_mRNA_0.8_128_0.01.csv", 128, root),
    }


def read_fasta_dict(path: Path) -> dict[str, str]:
    """Read a (possibly gzipped) FASTA file of trusted reference sequences into ``{id: sequence}``.

    Sequences are upper-cased with T replaced by U. For user input use
    :func:`mirloc_core.io.fasta.parse_fasta`, which validates.
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    out: dict[str, str] = {}
    name = None
    chunks: list[str] = []
    with opener(path, "rt") as handle:
        for line in handle:
            line = line.strip()
            if not line:
                continue
            if line.startswith(">"):
                if name is not None:
                    out[name] = "".join(chunks).upper().replace("T", "U")
                name, chunks = line[1:].split()[0], []
            else:
                chunks.append(line)
    if name is not None:
        out[name] = "".join(chunks).upper().replace("T", "U")
    if not out:
        raise DataMissingError(f"malformed FASTA {path}: no records")
    return out


@functools.lru_cache(maxsize=8)
def _mirbase_cached(root: str, kind: str, species: str | None) -> dict[str, str]:
    if kind not in ("hairpin", "mature"):
        raise ValueError("kind must be 'hairpin' or 'mature'")
    if species == "hsa":
        return read_fasta_dict(_path("mirbase22", f"hsa_{kind}.fa", root=root))
    records = read_fasta_dict(_path("mirbase22", f"{kind}.fa.gz", root=root))
    if species:
        records = {k: v for k, v in records.items() if k.startswith(species + "-")}
    return records


def load_mirbase(kind: str = "hairpin", species: str | None = "hsa", root=None) -> dict[str, str]:
    """miRBase 22 sequences as ``{name: sequence}`` (U alphabet).

    Parameters
    ----------
    kind : {"hairpin", "mature"}
    species : str or None
        Three-letter miRBase prefix (``"hsa"``), or None for all species.
    """
    return dict(_mirbase_cached(str(_root(root)), kind, species))


def _natural_key(name: str) -> list:
    return [int(tok) if tok.isdigit() else tok for tok in re.split(r"(\d+)", name)]


def family_members(name: str, hairpins: dict[str, str]) -> list[str]:
    """Hairpins of a family name: ``name`` followed only by letters and an optional ``-N`` copy number.

    ``hsa-let-7`` → ``hsa-let-7a-1, hsa-let-7a-2, …, hsa-let-7i``; ``hsa-mir-10`` → ``hsa-mir-10a, hsa-mir-10b``.
    Sorted in natural order.
    """
    members = [h for h in hairpins if h.startswith(name) and re.fullmatch(r"[a-z]*(-\d+)?", h[len(name):])]
    members = [h for h in members if h != name]
    return sorted(members, key=_natural_key)


@functools.lru_cache(maxsize=2)
def _mapping_cached(root: str) -> pd.DataFrame:
    names = load_network(root).names
    hairpins = load_mirbase("hairpin", "hsa", root)
    matures = load_mirbase("mature", "hsa", root)
    rows = []
    for name in names:
        if name in hairpins:
            rows.append((name, "hairpin", name, hairpins[name], ""))
            continue
        mature = name.replace("mir", "miR")
        hit = next((m for m in (mature, mature + "-5p", mature + "-3p") if m in matures), None)
        if hit:
            rows.append((name, "mature", hit, matures[hit], ""))
            continue
        members = family_members(name, hairpins)
        if members:
            rows.append((name, "family", members[0], hairpins[members[0]], ";".join(members)))
            continue
        rows.append((name, "none", "", "", ""))
    return pd.DataFrame(rows, columns=["name", "source", "mirbase_name", "sequence", "family_members"])


def map_names_to_sequences(root=None) -> pd.DataFrame:
    """Map the 1,041 network names to miRBase 22 sequences.

    The rule, in order:

    1. ``hairpin`` – the name is a human hairpin (precursor) name: its stem-loop sequence (812 names);
    2. ``mature`` – ``mir`` → ``miR``, then the name itself, with ``-5p`` or with ``-3p`` is a human mature
       name: that mature sequence (69);
    3. ``family`` – the name is a family prefix (``hsa-let-7``, ``hsa-mir-548``): its members are the
       hairpins named ``name`` + letters + optional ``-N``; the first in natural order represents the family
       and its sequence is used (65);
    4. ``none`` – retired or non-human names (e.g. ``hsa-mir-294``): no sequence (95).

    Returns
    -------
    pandas.DataFrame
        One row per network miRNA, in network order, with columns ``name``, ``source``,
        ``mirbase_name``, ``sequence`` (empty when none) and ``family_members`` (``;``-joined).
    """
    return _mapping_cached(str(_root(root))).copy()


def load_rnaloc_train(root=None) -> pd.DataFrame:
    """RNALoc-LM's miRNA training set (1,011 rows; label 0 = extracellular, 1 = intracellular).

    Adds ``length`` and ``kind`` (``precursor`` for MI… accessions, ``mature`` for MIMAT…).
    """
    path = _path("rnaloc_lm_mirna", "train.tsv", root=root)
    frame = pd.read_csv(path, sep="\t")
    expected = ["mirbase_id", "gene_name", "gene_symbol", "origin_localization", "label", "label_name", "sequence"]
    if list(frame.columns) != expected:
        raise DataMissingError(f"malformed {path}: expected columns {expected}, found {list(frame.columns)}")
    frame["sequence"] = frame["sequence"].str.upper().str.replace("T", "U")
    frame["length"] = frame["sequence"].str.len()
    frame["kind"] = np.where(frame["mirbase_id"].str.startswith("MIMAT"), "mature", "precursor")
    return frame


def load_known_motifs(root=None) -> pd.DataFrame:
    """Known localization motifs (IUPAC consensus) cited by RNALoc-LM."""
    path = _path("motifs", "known_localization_motifs.tsv", root=root)
    frame = pd.read_csv(path, sep="\t")
    if "consensus_iupac" not in frame.columns:
        raise DataMissingError(f"malformed {path}: no consensus_iupac column")
    return frame


def rbp_motif_path(root=None) -> Path:
    """Path of the Ray et al. 2013 RNA-binding-protein motifs (MEME format, DNA alphabet)."""
    return _path("motifs", "ray2013_rbp_human.meme", root=root)


def load_case_studies(root=None) -> pd.DataFrame:
    """GTMALoc's 35 case-study miRNA–compartment pairs with their literature evidence.

    Adds ``pubmed_url`` (empty when the evidence is ``Unconfirmed``).
    """
    path = _path("case_studies", "gtmaloc_table5.tsv", root=root)
    frame = pd.read_csv(path, sep="\t")
    pmid = frame["evidence"].str.extract(r"PMID:(\d+)")[0]
    frame["pubmed_url"] = np.where(pmid.notna(), "https://pubmed.ncbi.nlm.nih.gov/" + pmid.fillna("") + "/", "")
    return frame


def data_fingerprint(parts: tuple[str, ...] = ("network1041", "mirbase22", "rnaloc_lm_mirna"),
                     root=None) -> dict[str, str]:
    """sha256 of the shared data files used to derive an artefact (for manifests)."""
    out = {}
    for part in parts:
        folder = _root(root) / part
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                out[str(path.relative_to(_root(root)))] = file_sha256(path)
    return out


@functools.lru_cache(maxsize=4)
def _accessions_cached(root: str, kind: str) -> dict[str, str]:
    out = {}
    with open(_path("mirbase22", f"hsa_{kind}.fa", root=root)) as handle:
        for line in handle:
            if line.startswith(">"):
                parts = line[1:].split()
                if len(parts) < 2 or not re.fullmatch(r"MI(MAT)?\d+", parts[1]):
                    raise DataMissingError(f"malformed miRBase header (no accession): {line.strip()}")
                out[parts[0]] = parts[1]
    return out


def load_mirbase_accessions(kind: str = "hairpin", root=None) -> dict[str, str]:
    """Human miRBase 22 accessions from the FASTA headers: ``{name: accession}`` (``hsa-let-7a-1`` →
    ``MI0000060``; matures ``MIMAT…``). Accession numbers grow with the date an entry was added (discovery order)."""
    if kind not in ("hairpin", "mature"):
        raise ValueError("kind must be 'hairpin' or 'mature'")
    return dict(_accessions_cached(str(_root(root)), kind))


def accession_number(accession: str) -> int:
    """The number of a miRBase accession: ``MI0000060`` → 60, ``MIMAT0000062`` → 62."""
    return int(re.sub(r"^MI(MAT)?", "", accession))


def matures_in_hairpins(hairpins: dict[str, str], matures: dict[str, str]) -> dict[str, list[str]]:
    """``{hairpin: [mature names]}``: the matures whose sequence lies inside each hairpin's sequence (miRBase's
    definition of a hairpin's matures; a mature shared by paralogous copies belongs to each copy), natural order."""
    out = {}
    for hairpin, seq in hairpins.items():
        out[hairpin] = sorted((m for m, ms in matures.items() if ms in seq), key=_natural_key)
    return out


def gene_mirbase_entries(root=None) -> pd.DataFrame:
    """The miRBase 22 hairpins and matures of each of the 1,041 network names (empty lists for ``none``).

    Hairpins: the name itself (``hairpin``), its family members (``family``, :func:`family_members`), or for a
    ``mature`` name its hairpin's copies (``hsa-mir-1`` → ``hsa-mir-1-1, hsa-mir-1-2``), else the hairpins that
    contain its mature. Matures: every human mature inside one of those hairpins, plus the mapped mature itself.
    Columns: ``name``, ``source``, ``hairpins``, ``matures`` (lists of names), ``accession`` (lowest hairpin
    accession number, -1 when none).
    """
    mapping = map_names_to_sequences(root)
    hairpins, matures = load_mirbase("hairpin", "hsa", root), load_mirbase("mature", "hsa", root)
    inside = matures_in_hairpins(hairpins, matures)
    acc = load_mirbase_accessions("hairpin", root)
    rows = []
    for name, source, hit in zip(mapping["name"], mapping["source"], mapping["mirbase_name"]):
        if source == "hairpin":
            hp = [name]
        elif source == "none":
            hp = []
        elif source == "family":
            hp = family_members(name, hairpins)
        else:  # a mature: the copies of its hairpin (name-N), else the hairpins that contain it
            hp = [h for h in family_members(name, hairpins) if re.fullmatch(r"-\d+", h[len(name):])]
            hp = hp or sorted((h for h, s in hairpins.items() if matures[hit] in s), key=_natural_key)
        mats = sorted({m for h in hp for m in inside[h]} | ({hit} if source == "mature" else set()),
                      key=_natural_key)
        number = min((accession_number(acc[h]) for h in hp), default=-1)
        rows.append((name, source, hp, mats, number))
    return pd.DataFrame(rows, columns=["name", "source", "hairpins", "matures", "accession"])

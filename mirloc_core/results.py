"""Result types of a prediction: one :class:`RecordPrediction` per input sequence, gathered in a
:class:`PredictionResult` with :meth:`~PredictionResult.to_frame` / :meth:`~PredictionResult.to_csv`.

Each record carries everything shown for it — probabilities and where they came from, the binary call, the
attention of both sequence models, the network match, the nearest known miRNAs, the conservation counts — so a
page or a script never re-joins tables by id. The CSV columns are :data:`CSV_COLUMNS`, in that order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mirloc_core.config import CALL_THRESHOLD, COMPARTMENT_KEYS, COMPARTMENTS, is_called

CSV_COLUMNS = ["id", "sequence", "length", "p_extracellular", "p_intracellular", "call", "p_cytoplasm",
               "p_exosome", "p_nucleolus", "p_nucleus", "p_extracellular_vesicle", "p_microvesicle",
               "p_mitochondrion", "source", "known_mirna", "nearest_known_mirna", "nearest_similarity", "evidence",
               "above_threshold", "known_labels", *[f"sequence_model_p_{key}" for key in COMPARTMENT_KEYS],
               "conservation_species", "human_paralogs"]
"""The CSV columns, in order. After the original columns: the evidence level, the compartments called (the
page's rule, :func:`mirloc_core.config.is_called`), the known labels of a known network miRNA, the sequence
model's probabilities when the network model's are the ones shown, and the conservation counts. Fields the page
does not show for a sequence (e.g. the network columns in sequence-only mode) are left empty."""
PROB_COLUMNS = [f"p_{key}" for key in COMPARTMENT_KEYS]
_INJECTION_PREFIXES = ("=", "+", "-", "@")


@dataclass
class NetworkMatch:
    """A query that is (near-)identical to a network miRNA, with that miRNA's network-model prediction."""

    name: str
    similarity: float
    probabilities: np.ndarray
    out_of_fold: bool
    labels: np.ndarray | None
    modality_attention: np.ndarray
    relation: str = "near-identical"
    """``near-identical`` (normalised SW ≥ 0.95), or ``contained in`` / ``contains`` when one sequence lies
    inside the other (e.g. a mature miRNA inside the network's precursor hairpin); see
    :func:`mirloc_core.predict.known_relation`."""
    also_matches: list = field(default_factory=list)
    """Other network names exactly as similar (e.g. the family node hsa-let-7 shares hsa-let-7a-1's sequence); the
    match is the most specific labelled one among them."""


@dataclass
class RecordPrediction:
    """Everything predicted for one input sequence.

    Attributes
    ----------
    record : SequenceRecord
        The validated input (id, description, sequence, notice).
    p_intracellular : float
        The binary model's probability of "intracellular" (the call is intracellular at ≥ ``CALL_THRESHOLD``).
    probabilities : ndarray (7,)
        The seven compartment probabilities shown: the network model's when ``network`` is set, else the sequence
        model's.
    source : str
        Which model produced ``probabilities``.
    sequence_probabilities : ndarray (7,)
        The sequence model's seven probabilities (always computed).
    attention, attention_7comp : ndarray (len,)
        Per-nucleotide attention of the binary and of the seven-compartment sequence model (each sums to 1).
    network : NetworkMatch or None
        The network miRNA this sequence is, when its network prediction is used.
    known_mirna : str
        The known network miRNA the sequence corresponds to (whether or not its network prediction is used).
    nearest : DataFrame
        Top known network miRNAs by normalised SW similarity (``name``, ``similarity``).
    conservation, paralogs : int or None
        Other species / other human loci sharing a 20-nt stretch (None when the conservation head was off).
    evidence : str
        What the prediction rests on, one of :data:`~mirloc_core.config.EVIDENCE_LEVELS`.
    domain : DomainScore or None
        How miRNA-like the sequence is (:mod:`mirloc_core.features.domain`; None when miRBase is not available).
    nearest_labelled : tuple
        ``(name, closeness, known compartments)`` of the closest labelled network miRNA.
    base_rates : ndarray (7,)
        The training prevalence of each compartment for the model that produced ``probabilities``: a bar is
        informative only by how far it stands from its base rate.
    """

    record: object
    p_intracellular: float
    probabilities: np.ndarray
    source: str
    sequence_probabilities: np.ndarray
    attention: np.ndarray
    attention_7comp: np.ndarray
    network: NetworkMatch | None = None
    known_mirna: str = ""
    nearest: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["name", "similarity"]))
    conservation: int | None = None
    paralogs: int | None = None
    evidence: str = "novel"
    domain: object = None
    nearest_labelled: tuple = ("", 0.0, [])
    base_rates: np.ndarray = field(default_factory=lambda: np.full(len(COMPARTMENTS), np.nan))

    @property
    def out_of_domain(self) -> bool:
        """Not miRNA-like: the probabilities carry no information about this sequence."""
        return self.evidence == "out_of_domain"

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def sequence(self) -> str:
        return self.record.sequence

    @property
    def p_extracellular(self) -> float:
        return 1.0 - self.p_intracellular

    @property
    def call(self) -> str:
        return "intracellular" if self.p_intracellular >= CALL_THRESHOLD else "extracellular"

    @property
    def call_probability(self) -> float:
        """The probability of the call made (extracellular or intracellular)."""
        return self.p_intracellular if self.call == "intracellular" else self.p_extracellular

    @property
    def called_compartments(self) -> list[str]:
        """The compartments whose shown probability is at or above ``CALL_THRESHOLD``."""
        return [c for c, p in zip(COMPARTMENTS, np.asarray(self.probabilities, float)) if is_called(p)]

    @property
    def nearest_known(self) -> tuple[str, float]:
        """The first nearest known miRNA and its similarity (``("", nan)`` when none)."""
        if len(self.nearest):
            return str(self.nearest.iat[0, 0]), float(self.nearest.iat[0, 1])  # columns: name, similarity
        return "", float("nan")

    def to_row(self) -> list:
        """This record as one CSV row, in :data:`CSV_COLUMNS` order."""
        near_name, near_sim = self.nearest_known
        network = self.network
        known_labels = ";".join(c for c, v in zip(COMPARTMENTS, network.labels) if v) \
            if network is not None and network.labels is not None else ""
        sequence_model = list(np.asarray(self.sequence_probabilities, dtype=np.float64)) if network is not None \
            else [np.nan] * len(COMPARTMENTS)
        return [self.id, self.sequence, len(self.sequence), self.p_extracellular, self.p_intracellular, self.call,
                *np.asarray(self.probabilities, dtype=np.float64), self.source, self.known_mirna, near_name,
                near_sim, self.evidence, ";".join(self.called_compartments), known_labels, *sequence_model,
                self.conservation if self.conservation is not None else np.nan,
                self.paralogs if self.paralogs is not None else np.nan]


@dataclass
class PredictionResult:
    """The predictions for one input, in input order, with the models' provenance and any notices."""

    predictions: list
    provenance: dict = field(default_factory=dict)
    notices: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_id = {p.id: p for p in self.predictions}

    def __len__(self) -> int:
        return len(self.predictions)

    def __iter__(self):
        return iter(self.predictions)

    def __getitem__(self, rid: str) -> RecordPrediction:
        """The prediction of record ``rid``."""
        return self._by_id[rid]

    @property
    def records(self) -> list:
        """The validated input records."""
        return [p.record for p in self.predictions]

    def to_frame(self) -> pd.DataFrame:
        """One row per sequence, the :data:`CSV_COLUMNS`."""
        return pd.DataFrame([p.to_row() for p in self.predictions], columns=CSV_COLUMNS)

    @property
    def table(self) -> pd.DataFrame:
        """Same as :meth:`to_frame` (computed once)."""
        if getattr(self, "_table", None) is None:
            self._table = self.to_frame()
        return self._table

    @property
    def sequence_probabilities(self) -> pd.DataFrame:
        """The sequence model's seven probabilities, indexed by id."""
        return pd.DataFrame([np.asarray(p.sequence_probabilities, np.float64) for p in self.predictions],
                            index=pd.Index([p.id for p in self.predictions], name="id"), columns=list(COMPARTMENTS))

    # id-keyed views, for scripts that want one field of every record
    @property
    def attention(self) -> dict:
        return {p.id: p.attention for p in self.predictions}

    @property
    def attention_7comp(self) -> dict:
        return {p.id: p.attention_7comp for p in self.predictions}

    @property
    def network(self) -> dict:
        return {p.id: p.network for p in self.predictions if p.network is not None}

    @property
    def nearest(self) -> dict:
        return {p.id: p.nearest for p in self.predictions}

    @property
    def conservation(self) -> dict:
        return {p.id: p.conservation for p in self.predictions if p.conservation is not None}

    @property
    def paralogs(self) -> dict:
        return {p.id: p.paralogs for p in self.predictions if p.paralogs is not None}

    def to_csv(self, path_or_buffer=None):
        """Write :meth:`to_frame` as CSV (see :func:`write_csv`); returns the text when no target is given."""
        return write_csv(self, path_or_buffer)


def _neutralise(value):
    if isinstance(value, str) and value.startswith(_INJECTION_PREFIXES):
        return "'" + value
    return value


def write_csv(result, path_or_buffer=None):
    """Write the prediction table with exactly :data:`CSV_COLUMNS`, neutralising CSV injection.

    Text cells starting with ``=``, ``+``, ``-`` or ``@`` get a leading ``'``.

    Parameters
    ----------
    result : PredictionResult or pandas.DataFrame
    path_or_buffer : path or file-like, optional
        Where to write; when omitted the CSV text is returned.
    """
    table = result.table if isinstance(result, PredictionResult) else result
    table = table.loc[:, CSV_COLUMNS].copy()
    for column in table.columns:
        if table[column].dtype == object:
            table[column] = table[column].map(_neutralise)
    text = table.to_csv(index=False, float_format="%.6g", lineterminator="\n")
    if path_or_buffer is None:
        return text
    if isinstance(path_or_buffer, (str, Path)):
        Path(path_or_buffer).write_text(text)
    else:
        path_or_buffer.write(text)
    return None

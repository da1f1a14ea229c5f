"""Exploring the 1,041-miRNA network around one miRNA, the case studies, and the model card.

Everything the app's Network explorer, Case studies and About pages show is computed here (the pages only
present it). Inputs are the released :class:`~mirloc_core.pretrained.NetworkAtlas` (weights, always
available when the network model was released) and, when ``../shared/data`` is present, the association
matrices of :func:`mirloc_core.io.data.load_network` and the similarity matrices of
:mod:`mirloc_core.features.networks`.

Neighbours of a network miRNA
    * by **sequence**: normalised Smith–Waterman similarity (GTMALoc Eq. 1) — the row of
      :func:`mirloc_core.features.networks.sequence_similarity` when the data are present, else computed on the fly
      from the atlas' sequences with :func:`mirloc_core.features.alignment.sw_similarity` (the same formula);
    * by **function**: :func:`mirloc_core.features.networks.functional_similarity` (needs the data);
    * by **fused embedding**: cosine similarity of the network model's fused embeddings (atlas).
    Each neighbour row carries the numbers of diseases and drugs it shares with the query (needs the data).

Case-study name rule (:func:`case_study_name`)
    GTMALoc's Table 5 names miRNAs the short way (``miR-21``, ``miR-146b-5p``, ``let-7``). A short name is
    mapped to a network name by: dropping an arm suffix ``-5p``/``-3p``, writing ``miR`` as ``mir``, and
    prefixing ``hsa-`` (``miR-146b-5p`` → ``hsa-mir-146b``); it matches only when that exact name is one of
    the 1,041 network names. No fuzzy matching: names that are not human network miRNAs (``miR-48`` and
    ``miR-37`` are *C. elegans* miRNAs) are reported as not in the network.
"""

from __future__ import annotations

import json

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mirloc_core.config import CALL_THRESHOLD, COMPARTMENTS, data_available

MRNA_COMPARTMENTS = ("Cytoplasm", "Exosome", "Nucleolus", "Nucleus")


# --------------------------------------------------------------------------- names


def case_study_name(short: str, names) -> str | None:
    """Map a case-study short name (``miR-21``) to its network name (``hsa-mir-21``), or ``None``.

    See the module docstring for the rule.
    """
    base = re.sub(r"-(5p|3p)$", "", short.strip())
    base = re.sub(r"^miR-", "mir-", base)
    candidate = base if base.startswith("hsa-") else f"hsa-{base}"
    return candidate if candidate in set(names) else None


def _index(atlas, name: str) -> int:
    try:
        return list(atlas.names).index(name)
    except ValueError:
        raise KeyError(f"'{name}' is not one of the {len(atlas.names)} network miRNAs") from None


# --------------------------------------------------------------------------- compartments


def compartment_table(atlas, name: str) -> pd.DataFrame:
    """Predicted and known compartments of a network miRNA.

    Returns
    -------
    pandas.DataFrame
        One row per compartment: ``compartment``, ``probability`` (network model; out-of-fold where
        labelled), ``predicted`` (probability ≥ 0.5), ``known`` (True/False, or None when unlabelled).
    """
    i = _index(atlas, name)
    probs = np.asarray(atlas.probabilities[i], dtype=float)
    labelled = bool(atlas.labelled[i])
    return pd.DataFrame({
        "compartment": list(COMPARTMENTS),
        "probability": probs,
        "predicted": probs >= 0.5,
        "known": [bool(v) for v in atlas.labels[i]] if labelled else [None] * len(COMPARTMENTS),
    })


def describe_prediction(atlas, name: str) -> str:
    """One sentence: whether the probabilities are out-of-fold, and the known compartments if labelled."""
    i = _index(atlas, name)
    if bool(atlas.labelled[i]):
        known = [c for c, v in zip(COMPARTMENTS, atlas.labels[i]) if v]
        kind = "out-of-fold (10-fold CV: this miRNA was held out)" if bool(atlas.out_of_fold[i]) else "in-sample"
        return f"Labelled miRNA; probabilities are {kind}. Known compartments: {', '.join(known) or 'none'}."
    return "Unlabelled miRNA: probabilities come from the model trained on all labelled miRNAs (no known labels)."


# --------------------------------------------------------------------------- neighbours


@dataclass
class Neighbourhood:
    """Neighbours of one network miRNA by sequence, function and fused embedding.

    Attributes
    ----------
    name : str
    table : pandas.DataFrame
        Columns ``relation`` (sequence / function / embedding), ``rank``, ``name``, ``similarity``,
        ``shared_diseases``, ``shared_drugs`` (NaN without data), ``top_compartment``, ``top_probability``,
        ``labelled``, ``known_labels`` (comma-joined, or "unlabelled"), ``most_above_base`` (the compartment whose
        probability most exceeds its base rate, :func:`base_rates`) and ``times_base_rate`` (that ratio).
    notices : list of str
        What could not be computed and why (e.g. no shared data → no functional neighbours).
    """

    name: str
    table: pd.DataFrame
    notices: list = field(default_factory=list)


def _top_k(scores: np.ndarray, exclude: int, k: int, valid: np.ndarray | None = None) -> np.ndarray:
    scores = np.asarray(scores, dtype=float).copy()
    scores[exclude] = -np.inf
    if valid is not None:
        scores[~valid] = -np.inf
    order = np.argsort(-scores, kind="stable")
    order = order[np.isfinite(scores[order])]
    return order[:k]


def sequence_similarity_row(atlas, index: int, matrix: np.ndarray | None = None) -> np.ndarray:
    """Normalised SW similarity of network miRNA ``index`` to all 1,041 (0 for unmapped miRNAs)."""
    if matrix is not None:
        return np.asarray(matrix[index], dtype=float)
    from mirloc_core.features.alignment import sw_similarity

    seqs = list(atlas.sequences)
    row = np.zeros(len(seqs))
    if not seqs[index]:
        return row
    mapped = [j for j, s in enumerate(seqs) if s]
    row[mapped] = sw_similarity([seqs[index]], [seqs[j] for j in mapped])[0]
    return row


def embedding_similarity_row(atlas, index: int) -> np.ndarray:
    """Cosine similarity of the fused embedding of miRNA ``index`` to all network miRNAs."""
    emb = np.asarray(atlas.embedding, dtype=float)
    norms = np.linalg.norm(emb, axis=1)
    norms[norms == 0] = 1.0
    return (emb @ emb[index]) / (norms * norms[index])


def neighbourhood(atlas, name: str, k: int = 8, network=None, seq_matrix: np.ndarray | None = None,
                  func_matrix: np.ndarray | None = None) -> Neighbourhood:
    """The ``k`` nearest network miRNAs of ``name`` by sequence, function and fused embedding.

    Parameters
    ----------
    atlas : NetworkAtlas
    name : str
        A network miRNA name.
    k : int
        Neighbours per relation.
    network : NetworkData, optional
        Association matrices (``data.load_network()``) for shared disease / drug counts.
    seq_matrix, func_matrix : ndarray (1041, 1041), optional
        ``networks.sequence_similarity()`` and ``networks.functional_similarity()``; without ``seq_matrix``
        the sequence row is computed from the atlas sequences; without ``func_matrix`` functional
        neighbours are omitted (with a notice).
    """
    i = _index(atlas, name)
    notices = []
    relations = {}
    if atlas.sequences[i]:
        relations["sequence"] = sequence_similarity_row(atlas, i, seq_matrix)
    else:
        notices.append(f"{name} has no miRBase 22 sequence (retired or non-human name): no sequence neighbours.")
    if func_matrix is not None:
        relations["function"] = np.asarray(func_matrix[i], dtype=float)
    else:
        notices.append("Functional similarity needs the disease associations of the shared data, which are not "
                       "available here: functional neighbours are not shown.")
    relations["embedding"] = embedding_similarity_row(atlas, i)
    if network is None:
        notices.append("Shared disease and drug counts need the shared data, which is not available here.")
    top = np.argmax(atlas.probabilities, axis=1)
    lift = np.asarray(atlas.probabilities, dtype=float) / np.clip(base_rates(atlas), 1e-6, None)
    rows = []
    for relation, scores in relations.items():
        valid = np.array([bool(s) for s in atlas.sequences]) if relation == "sequence" else None
        for rank, j in enumerate(_top_k(scores, i, k, valid), start=1):
            rows.append({
                "relation": relation,
                "rank": rank,
                "name": atlas.names[j],
                "similarity": float(scores[j]),
                "shared_diseases": int(np.sum(network.disease[i] * network.disease[j])) if network is not None else np.nan,
                "shared_drugs": int(np.sum(network.drug[i] * network.drug[j])) if network is not None else np.nan,
                "top_compartment": COMPARTMENTS[int(top[j])],
                "top_probability": float(atlas.probabilities[j, top[j]]),
                "labelled": bool(atlas.labelled[j]),
                "known_labels": ", ".join(c for c, v in zip(COMPARTMENTS, atlas.labels[j]) if v)
                if bool(atlas.labelled[j]) else "unlabelled",
                "most_above_base": COMPARTMENTS[int(np.argmax(lift[j]))],
                "times_base_rate": float(np.max(lift[j])),
            })
    columns = ["relation", "rank", "name", "similarity", "shared_diseases", "shared_drugs", "top_compartment",
               "top_probability", "labelled", "known_labels", "most_above_base", "times_base_rate"]
    return Neighbourhood(name, pd.DataFrame(rows, columns=columns), notices)


def association_counts(network, name: str) -> dict:
    """Numbers of diseases and drugs associated with a network miRNA (needs the shared data)."""
    i = network.index_of(name)
    return {"diseases": int(network.disease[i].sum()), "drugs": int(network.drug[i].sum())}


def colocalization_profile(name: str, names) -> pd.Series | None:
    """The miRNA–target-mRNA co-localization profile (4 compartments) of a network miRNA.

    Read from the published co-localization feature (``published_features/
    miRNA_mRNA_co-localization_feature.csv``; the miRNA–mRNA matrix itself is not public). ``None`` when the
    shared data are not available.
    """
    if not data_available():
        return None
    from mirloc_core.io.data import load_published_features

    coloc = load_published_features()["coloc"]
    i = list(names).index(name)
    return pd.Series(coloc[i].astype(float), index=list(MRNA_COMPARTMENTS), name=name)


# --------------------------------------------------------------------------- new sequences


def nearest_known(sequence: str, atlas, k: int = 5) -> pd.DataFrame:
    """The ``k`` network miRNAs most similar to a new sequence (normalised SW similarity, GTMALoc Eq. 1).

    Returns
    -------
    pandas.DataFrame
        Columns ``name``, ``similarity``, ``labelled``, best first.
    """
    from mirloc_core.features.alignment import sw_similarity

    mapped = [j for j, s in enumerate(atlas.sequences) if s]
    sims = sw_similarity([sequence], [atlas.sequences[j] for j in mapped])[0]
    order = np.argsort(-sims, kind="stable")[:k]
    return pd.DataFrame({
        "name": [atlas.names[mapped[o]] for o in order],
        "similarity": [float(sims[o]) for o in order],
        "labelled": [bool(atlas.labelled[mapped[o]]) for o in order],
    })


@dataclass
class Resolution:
    """What a search in the explorer resolved to: a network miRNA ``name`` and the ``relation`` used, in words."""

    name: str | None
    relation: str


_SEQUENCE = re.compile(r"^[ACGUT]{15,}$")


def _labelled_first(atlas, candidates: list[str]) -> str | None:
    index = {n: i for i, n in enumerate(atlas.names)}
    present = [c for c in dict.fromkeys(candidates) if c in index]
    labelled = [c for c in present if bool(atlas.labelled[index[c]])]
    return (labelled or present or [None])[0]


def _from_mirbase_name(atlas, name: str, root=None) -> Resolution | None:
    """A miRBase mature or hairpin name → the most specific labelled network miRNA containing it."""
    from mirloc_core.io.data import load_mirbase, map_names_to_sequences

    matures, hairpins = load_mirbase("mature", "hsa", root), load_mirbase("hairpin", "hsa", root)
    mapping = map_names_to_sequences(root)
    direct = list(mapping.loc[mapping["mirbase_name"] == name, "name"])
    if name in hairpins:
        stripped = re.sub(r"-\d+$", "", name)
        pick = _labelled_first(atlas, [name] + direct + [stripped])
        if pick:
            relation = "the same precursor" if pick == name else f"the network entry of precursor {name}"
            return Resolution(pick, f"{name} → {pick} ({relation})")
    if name in matures:
        rule = re.sub(r"-(5p|3p)$", "", name).replace("miR", "mir")
        holders = [h for h, seq in hairpins.items() if matures[name] in seq]
        pick = _labelled_first(atlas, direct + [rule] + holders)
        if pick:
            how = ("mapped to this mature sequence" if pick in direct else
                   "its precursor name" if pick == rule else "a precursor that contains it")
            return Resolution(pick, f"mature {name} → {pick} ({how})")
    return None


def resolve_query(text: str, atlas, root=None) -> Resolution:
    """Resolve a network name, a miRBase mature/hairpin name (``hsa-miR-21-5p``, ``miR-21-5p``), a miRBase
    accession (``MI0000077``, ``MIMAT0000076``) or a pasted sequence (≥ 15 nt) to a network miRNA.

    Names prefer the most specific *labelled* network miRNA (a precursor copy ``hsa-let-7a-1`` stays itself,
    never the family ``hsa-let-7``); a sequence goes to an exact miRBase match when there is one, else to the
    network miRNA of highest normalised Smith–Waterman similarity. ``name`` is None when nothing matches, and
    ``relation`` then says why.
    """
    query = text.strip()
    names = list(atlas.names)
    lower = {n.lower(): n for n in names}
    if query.lower() in lower:
        return Resolution(lower[query.lower()], "network miRNA")
    if root is None and not data_available():
        return Resolution(None, f"'{query}' is not a network name; miRBase names, accessions and sequences need "
                                "the shared data (miRBase 22), which is not available here.")
    from mirloc_core.io.data import load_mirbase, load_mirbase_accessions

    upper = query.upper().replace(" ", "")
    if re.fullmatch(r"MI(MAT)?\d{7}", upper):
        kind = "mature" if upper.startswith("MIMAT") else "hairpin"
        name = {acc: n for n, acc in load_mirbase_accessions(kind, root).items()}.get(upper)
        found = _from_mirbase_name(atlas, name, root) if name else None
        if found:
            return Resolution(found.name, f"{upper} is {found.relation}")
        return Resolution(None, f"{upper} is not a human miRBase 22 accession of a network miRNA.")
    if _SEQUENCE.match(upper):
        sequence = upper.replace("T", "U")
        for kind in ("mature", "hairpin"):
            exact = [n for n, s in load_mirbase(kind, "hsa", root).items() if s == sequence]
            found = _from_mirbase_name(atlas, exact[0], root) if exact else None
            if found:
                return Resolution(found.name, f"your sequence is identical to {found.relation}")
        best = nearest_known(sequence, atlas, k=1).iloc[0]
        return Resolution(str(best["name"]), f"your sequence is most similar to {best['name']} "
                                             f"(normalised Smith–Waterman similarity {best['similarity']:.2f})")
    candidates = [query, query if query.startswith("hsa-") else f"hsa-{query}"]
    for candidate in candidates:
        found = _from_mirbase_name(atlas, candidate, root)
        if found:
            return found
    return Resolution(None, f"'{query}' matched no network miRNA, miRBase 22 human name or accession; a sequence "
                            "needs at least 15 nt of A, C, G, U (or T).")


def base_rates(atlas) -> np.ndarray:
    """Training prevalence of each compartment: the share of the labelled network miRNAs carrying it."""
    labels = np.asarray(atlas.labels, dtype=float)[np.asarray(atlas.labelled, dtype=bool)]
    return labels.mean(axis=0) if len(labels) else np.full(len(COMPARTMENTS), np.nan)


def base_rate_leaders(rates, top: int = 2) -> list[tuple[str, float]]:
    """The ``top`` compartments with the highest base rates, as ``(compartment, rate)``."""
    order = np.argsort(-np.asarray(rates, dtype=float), kind="stable")[:top]
    return [(COMPARTMENTS[int(i)], float(rates[int(i)])) for i in order]


# --------------------------------------------------------------------------- case studies


def case_study_table(atlas, cases: pd.DataFrame | None = None) -> pd.DataFrame:
    """GTMALoc's 35 case-study pairs with the atlas probability for the named compartment.

    Parameters
    ----------
    atlas : NetworkAtlas
    cases : pandas.DataFrame, optional
        ``data.load_case_studies()`` (read when not given; needs the shared data).

    Returns
    -------
    pandas.DataFrame
        ``compartment``, ``rank`` (GTMALoc's rank), ``mirna``, ``network_name`` (None when not in the
        network), ``probability`` (network model, for that compartment), ``times_base_rate`` (probability ÷
        that compartment's share of the labelled miRNAs, :func:`base_rates`), ``out_of_fold`` (the miRNA was
        labelled and held out in 10-fold CV), ``known`` (the network data's label for that compartment;
        None when unlabelled or not in the network), ``evidence``, ``pubmed_url``.
    """
    if cases is None:
        from mirloc_core.io.data import load_case_studies

        cases = load_case_studies()
    index = {n: i for i, n in enumerate(atlas.names)}
    rates = base_rates(atlas)
    rows = []
    for case in cases.itertuples(index=False):
        network_name = case_study_name(case.mirna, atlas.names)
        c = COMPARTMENTS.index(case.compartment)
        row = {"compartment": case.compartment, "rank": int(case.rank), "mirna": case.mirna,
               "network_name": network_name, "probability": np.nan, "times_base_rate": np.nan,
               "out_of_fold": False, "known": None,
               "evidence": case.evidence, "pubmed_url": case.pubmed_url}
        if network_name is not None:
            i = index[network_name]
            row["probability"] = float(atlas.probabilities[i, c])
            row["times_base_rate"] = row["probability"] / max(float(rates[c]), 1e-6)
            row["out_of_fold"] = bool(atlas.out_of_fold[i]) and bool(atlas.labelled[i])
            row["known"] = bool(atlas.labels[i, c]) if bool(atlas.labelled[i]) else None
        rows.append(row)
    return pd.DataFrame(rows)


def case_study_counts(table: pd.DataFrame) -> dict:
    """Headline counts of (a subset of) :func:`case_study_table`: pairs, pairs in the network, and pairs whose
    network probability is at or above the call threshold."""
    return {"pairs": len(table), "in_network": int(table["network_name"].notna().sum()),
            "called": int((table["probability"] >= CALL_THRESHOLD).sum())}


LOW_BASE_RATE = 0.25
"""Compartments carried by fewer than this share of the labelled miRNAs get a sentence on why scores are low."""


def case_study_note(atlas, table: pd.DataFrame, compartment: str) -> str | None:
    """One sentence, computed from the data, on why a rarely labelled compartment's case-study scores are low.

    None for a compartment at or above :data:`LOW_BASE_RATE`, or with no scored pair.
    """
    c = COMPARTMENTS.index(compartment)
    rate = float(base_rates(atlas)[c])
    scores = table.loc[table["compartment"] == compartment, "probability"].dropna()
    if rate >= LOW_BASE_RATE or not len(scores):
        return None
    n_labelled = int(np.asarray(atlas.labelled, dtype=bool).sum())
    n_pos = int(round(rate * n_labelled))
    called = int((scores >= CALL_THRESHOLD).sum())
    name = compartment.lower()
    return (f"Only {n_pos} of the {n_labelled} labelled miRNAs ({rate:.0%}) carry {name}, so the model's {name} "
            f"probabilities stay close to that base rate: these {len(scores)} pairs score {scores.min():.2f}–"
            f"{scores.max():.2f} ({scores.min() / rate:.1f}–{scores.max() / rate:.1f}× the base rate, i.e. ranked "
            f"above a typical miRNA) and {called} of them {'reaches' if called == 1 else 'reach'} the "
            f"{CALL_THRESHOLD} call.")


# --------------------------------------------------------------------------- model card


@dataclass
class ResultTable:
    """One benchmark table for the model card, generated from a JSON result file.

    Attributes
    ----------
    source : str
        The JSON file name.
    title : str
    frame : pandas.DataFrame
    meta : dict
        ``command``, ``date``, ``machine``, ``note`` when present in the file.
    """

    source: str
    title: str
    frame: pd.DataFrame
    meta: dict

    @property
    def details(self) -> str:
        """The metadata other than the command, as one short line of JSON (for a caption)."""
        details = {k: v for k, v in self.meta.items() if k != "command"}
        return json.dumps(details, default=str)[:600] if details else ""


def _format_value(value) -> str:
    if isinstance(value, dict) and "mean" in value:
        mean, std = value.get("mean"), value.get("std")
        if isinstance(mean, (int, float)) and isinstance(std, (int, float)):
            return f"{mean:.3f} ± {std:.3f}"
        return _format_value(mean)
    if isinstance(value, bool) or isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


MAX_WIDE_COLUMNS = 8
"""Above this many distinct metric names a result file is shown in long form (section, metric, value)."""


def _flatten(obj, prefix=()) -> list[tuple[tuple, object]]:
    """Leaves of a nested JSON object: ``{"mean", "std"}`` dicts count as one leaf; lists are skipped."""
    out = []
    if isinstance(obj, dict):
        if "mean" in obj and isinstance(obj.get("mean"), (int, float)):
            return [(prefix, obj)]
        for key, value in obj.items():
            out += _flatten(value, prefix + (str(key),))
    elif isinstance(obj, (int, float, str, bool)) or obj is None:
        out.append((prefix, obj))
    return out


META_KEYS = ("command", "date", "created", "machine", "note", "notes", "timings", "environment")


def result_tables(results_dir: Path | None = None) -> list[ResultTable]:
    """Model-card tables from every ``benchmarks/results/*.json`` (``summary.json`` first), never typed by hand.

    Numeric leaves are collected; for each file the rows are the leaf paths without their last component and
    the columns are the last components (e.g. ``models.ours.auc`` → row ``models.ours``, column ``auc``).
    ``{"mean": m, "std": s}`` leaves are shown as ``m ± s``. Files with more than
    :data:`MAX_WIDE_COLUMNS` distinct metric names are shown in long form (``section, metric, value``). Run metadata (command, date, machine, notes)
    are returned separately in ``meta``.
    """
    from mirloc_core.config import results_dir as default_results_dir

    import json

    directory = Path(results_dir) if results_dir else default_results_dir()
    files = sorted(directory.glob("*.json"), key=lambda p: (p.name != "summary.json", p.name))
    tables = []
    for path in files:
        try:
            content = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if not isinstance(content, dict):
            continue
        meta = {k: content[k] for k in META_KEYS if k in content}
        body = {k: v for k, v in content.items() if k not in META_KEYS}
        leaves = [(p, v) for p, v in _flatten(body)
                  if p and (isinstance(v, (int, float, dict)) and not isinstance(v, bool))]
        if not leaves:
            continue
        if path.name == "summary.json" or all(len(p) == 1 for p, _ in leaves):
            frame = pd.DataFrame({"metric": [".".join(p) for p, _ in leaves],
                                  "value": [_format_value(v) for _, v in leaves]})
        elif len({p[-1] for p, _ in leaves}) > MAX_WIDE_COLUMNS:
            frame = pd.DataFrame({"section": [".".join(p[:-1]) for p, _ in leaves],
                                  "metric": [p[-1] for p, _ in leaves],
                                  "value": [_format_value(v) for _, v in leaves]})
        else:
            cells: dict[str, dict[str, object]] = {}
            for p, v in leaves:
                row = ".".join(p[:-1]) if len(p) > 1 else "(top level)"
                cells.setdefault(row, {})[p[-1]] = _format_value(v)
            frame = pd.DataFrame.from_dict(cells, orient="index")
            frame.index.name = "result"
            frame = frame.reset_index()
        frame = frame.astype(str).replace({"nan": "", "None": ""})
        title = path.stem.replace("_", " ")
        tables.append(ResultTable(path.name, title, frame, meta))
    return tables


# --------------------------------------------------------------------------- what the binary call rests on


def binary_call_context(results_dir: Path | None = None) -> dict | None:
    """What drives the extracellular / intracellular call, from ``sequence_cv.json`` (None when not benchmarked):
    per stratum (``mature``, ``precursor``) the model's cross-validated accuracy, the majority class and how often
    always answering it is right, and a sentence for the result card."""
    from mirloc_core import config

    path = Path(results_dir or config.results_dir()) / "sequence_cv.json"
    if not path.is_file():
        return None
    binary = json.loads(path.read_text())["binary"]
    metrics, counts = binary["main"]["metrics"], binary["label_audit"]["labels_by_stratum"]
    out = {"model": "TextCNN-BiLSTM-attention ensemble trained on RNALoc-LM's 1,011 miRNAs"}
    for stratum in ("mature", "precursor"):
        majority = max(counts[stratum], key=counts[stratum].get)
        out[stratum] = {"accuracy": metrics[stratum]["acc"]["mean"], "majority_class": majority,
                        "majority_accuracy": round(counts[stratum][majority] / sum(counts[stratum].values()), 4)}
    m, p = out["mature"], out["precursor"]
    out["sentence"] = (f"Called by the {out['model']}. Within matures it is right {m['accuracy']:.0%} of the time, "
                       f"as often as always answering “{m['majority_class']}” ({m['majority_accuracy']:.0%}); within "
                       f"precursors {p['accuracy']:.0%}, against {p['majority_accuracy']:.0%} for always "
                       f"“{p['majority_class']}”. The call mostly says whether the sequence is a mature miRNA or a "
                       "precursor.")
    return out


SOURCE_WORDS = {"sequence": "similar sequences", "disease": "the diseases it is linked to",
                "drug": "the drugs it is linked to", "mRNA": "where its target mRNAs go"}
"""The network model's four sources of information, in words."""


def describe_reliance(match) -> str:
    """Which networks the network model leaned on for a matched miRNA, in words, most first (e.g. "the diseases it
    is linked to (45%), similar sequences (30%), …")."""
    weights = np.asarray(match.modality_attention, dtype=float)
    modalities = ("sequence", "disease", "drug", "mRNA")[: len(weights)]
    order = np.argsort(-weights, kind="stable")
    return ", ".join(f"{SOURCE_WORDS[modalities[i]]} ({weights[i]:.0%})" for i in order)

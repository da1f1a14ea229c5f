"""Streamlit helpers shared by the app's pages: cached resources, the sidebar, safe text and charts.

Presentation only — every computation lives in :mod:`mirloc_core`. Models and the network atlas are loaded
once per server process with ``st.cache_resource``; a missing or corrupt artefact never raises into a page:
the loaders return ``(None, message)`` and the page explains what is missing.

User-supplied text (FASTA headers, ids) is never rendered as HTML: it goes through :func:`md_escape` before
any Markdown element, and into tables/plots only as plain data.
"""

from __future__ import annotations

import gc
import os
import re
import sys
from pathlib import Path

import numpy as np
import streamlit as st

from mirloc_core import config
from mirloc_core.config import COMPARTMENT_KEYS, DataMissingError

# pandas and the artefact/prediction modules are imported inside the functions that need them: the Predict
# page's inputs are then on screen (interactive) before those heavy imports and the model loading run.

APP_TITLE = "mirloc"
FAVICON = Path(config.PACKAGE_ROOT / "assets" / "favicon.png")
"""The tab icon, served by the app itself (an emoji icon would be fetched from an external host)."""
SEQUENCE_PARAM = "sequence"
"""Query parameter that opens the Motifs or Structure page on a sequence of this session's result (by id)."""
RESULT_KEY = "mirloc_result"
ROUTER_KEY = "_mirloc_router"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=\"'])")


def md_escape(text: object) -> str:
    """Escape Markdown (and HTML-looking) characters so user text is shown literally in Markdown elements."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


# --------------------------------------------------------------------------- resources


TORCH_THREADS_ENV = "MIRLOC_TORCH_THREADS"
"""Threads torch may use per prediction in the app server (default 1: the web requests are small batches, and one
thread per request avoids OpenMP oversubscription when several requests or other jobs share the CPU)."""


SETTING_VARIABLES = ("MIRLOC_WEIGHTS", "MIRLOC_DATA", "MIRLOC_WEIGHTS_REPO", "MIRLOC_WEIGHTS_REVISION",
                     "MIRLOC_DATA_REPO", "MIRLOC_DATA_REVISION", "MIRLOC_DEVICE", "MIRLOC_CACHE", "HF_HUB_OFFLINE")
"""The environment the app reads its settings from (at the edge, once per distinct environment)."""


@st.cache_resource(show_spinner=False)
def _resolve(environment: tuple):
    from mirloc_core.io.hub import resolve

    return resolve()


def hub_resolution():
    """Resolve weights and data (repository, local directories or the Hugging Face Hub), once per environment."""
    return _resolve(tuple(os.environ.get(name) for name in SETTING_VARIABLES))


def settings() -> config.Settings:
    """The app's settings: the resolved weights and data, and the torch threads per prediction."""
    threads = max(1, int(os.environ.get(TORCH_THREADS_ENV, "1") or 1))
    return hub_resolution().settings(threads=threads)


def long_lived(resource):
    """Take a just-loaded server-wide resource (and all else loaded so far) out of the garbage collector's passes.

    Streamlit runs a full collection after every page run (``runner.postScriptGC``); with the models loaded that
    walks ~350,000 objects, 0.15 s of CPU per run on one core, about a third of a prediction request's server
    time. ``gc.freeze`` moves every object alive now into the permanent generation, which collections skip;
    reference counting still frees them, and what later page runs allocate is still collected. Collect first, so
    that no garbage is frozen with them.
    """
    gc.collect()
    gc.freeze()
    return resource


@st.cache_resource(show_spinner="Loading the sequence and network models…")
def _load_predictor(app_settings: config.Settings):
    from mirloc_core.predict import Predictor

    return long_lived(Predictor.load(settings=app_settings).warm())


def get_predictor():
    """The :class:`~mirloc_core.predict.Predictor`, or ``(None, message)`` when it cannot be loaded."""
    return _guarded(lambda: _load_predictor(settings()), "The prediction models")


@st.cache_data(show_spinner=False, max_entries=256)
def _predict(records: tuple, sequence_only: bool, app_settings: config.Settings):
    from mirloc_core.io.fasta import SequenceRecord

    predictor = _load_predictor(app_settings)
    return predictor.predict([SequenceRecord(*r) for r in records], sequence_only=sequence_only)


def predict(records, sequence_only: bool = False):
    """Predict validated records; an identical submission (same records, mode and settings) is not recomputed."""
    key = tuple((r.id, r.description, r.sequence, r.notice) for r in records)
    return _predict(key, bool(sequence_only), settings())


def _guarded(load, what: str):
    """``(load(), None)``, or ``(None, message)`` when a missing or corrupt artefact stops it (never a traceback)."""
    from mirloc_core.io.artifacts import ArtifactError

    try:
        return load(), None
    except ArtifactError as exc:
        return None, f"{what} could not be loaded: {exc}"
    except (ImportError, FileNotFoundError, OSError, ValueError, KeyError) as exc:
        return None, f"{what} could not be loaded ({type(exc).__name__}: {exc})."


@st.cache_resource(show_spinner="Loading the network atlas…")
def _load_atlas(weights_dir: str):
    from mirloc_core.pretrained import load_atlas

    return long_lived(load_atlas(Path(weights_dir)))


def get_atlas():
    """The network atlas (``weights/network``; the predictor's when it is loaded), or ``(None, message)``."""
    predictor, _ = get_predictor()
    if predictor is not None and getattr(predictor, "atlas", None) is not None:
        return predictor.atlas, None
    return _guarded(lambda: _load_atlas(str(settings().weights_dir)), "The network atlas")


def data_available() -> bool:
    """Whether the shared network data were found (else the app runs in its degraded mode)."""
    return hub_resolution().data_available


@st.cache_resource(show_spinner="Loading the network data…")
def _load_network(data_dir: str):
    from mirloc_core.io import data

    return long_lived(data.load_network(data_dir))


def get_network():
    """The shared network data (associations), or ``(None, message)`` in the degraded mode."""
    if not data_available():
        return None, data_missing_message()
    try:
        return _load_network(str(settings().data_dir)), None
    except DataMissingError as exc:
        return None, str(exc)


@st.cache_resource(show_spinner="Computing the similarity networks (first use only)…")
def _similarities(data_dir: str):
    from mirloc_core.features import networks

    return long_lived((networks.sequence_similarity(), networks.functional_similarity()))


def get_similarities():
    """``(sequence_similarity, functional_similarity)`` matrices, or ``(None, None)`` without data."""
    if not data_available():
        return None, None
    from mirloc_core.io.artifacts import ArtifactError

    try:
        return _similarities(str(settings().data_dir))
    except (ImportError, DataMissingError, ArtifactError, OSError, ValueError):
        return None, None


@st.cache_data(show_spinner=False)
def _binary_call_context(results_dir: str):
    from mirloc_core import explore

    return explore.binary_call_context(Path(results_dir))


def binary_call_context() -> dict | None:
    """What the extracellular / intracellular call rests on (from the benchmark JSON), or None."""
    return _binary_call_context(str(settings().results_dir))


@st.cache_data(show_spinner=False, max_entries=512)
def known_motif_hits(sequence: str):
    """Known localization and RNA-binding-protein motif hits on ``sequence`` (empty without the motif data)."""
    from mirloc_core import motifs

    try:
        return motifs.scan_known_motifs(sequence)
    except (DataMissingError, OSError):
        return None


def data_missing_message() -> str:
    return (f"The shared network data were not found at {settings().data_dir}. Sequence prediction works "
            "without them; the network pages need them (set MIRLOC_DATA, or MIRLOC_DATA_REPO for a "
            "Hugging Face dataset).")


# --------------------------------------------------------------------------- page frame


def page_setup(title: str, standalone: bool = True) -> None:
    """Set the page config and, when the page runs outside the router, draw the sidebar."""
    st.set_page_config(page_title=f"{title} · {APP_TITLE}", page_icon=str(FAVICON), layout="wide")
    if standalone and not st.session_state.get(ROUTER_KEY):
        sidebar()


def sidebar() -> None:
    """Device (shown once), weights and data status, and Hub notices."""
    resolution = hub_resolution()
    predictor, error = get_predictor()
    with st.sidebar:
        st.markdown(f"### :material/genetics: {APP_TITLE}")
        st.caption("Subcellular localization of microRNAs")
        if predictor is not None:
            device = str(predictor.device)
        else:
            device = str(config.get_device())
        label = "GPU (CUDA)" if device.startswith("cuda") else "CPU"
        st.markdown(f"**Device:** {label}")
        st.caption(f"Weights: {md_escape(resolution.weights_source)} · "
                   f"Data: {'available' if resolution.data_available else 'not found (degraded mode)'}")
        if error:
            st.warning("Prediction models unavailable — see the Predict page.", icon=":material/warning:")
        for notice in resolution.notices:
            st.warning(md_escape(notice))


# --------------------------------------------------------------------------- sequences chosen on other pages


def submitted_result():
    """The last :class:`~mirloc_core.predict.PredictionResult` of this session, or None."""
    return st.session_state.get(RESULT_KEY)


def choose_sequence(key: str):
    """Pick a sequence: one submitted on the Predict page, the example miR-29b-3p, or a pasted one.

    Returns
    -------
    tuple (str, str) or None
        ``(id, sequence)``; None (with a message shown) when the entered sequence is invalid.
    """
    from mirloc_core.io.fasta import InputError
    from mirloc_core.io.submission import example_fasta, read_submission

    result = submitted_result()
    options = [r.id for r in result.records] if result is not None else []
    wanted = st.query_params.get(SEQUENCE_PARAM)
    if wanted in options and f"{key}_choice" not in st.session_state:
        st.session_state[f"{key}_choice"] = wanted  # opened from a result card's link
    example = [r for r in read_submission(example_fasta()) if r.id == "hsa-miR-29b-3p"][0]
    other = "Enter a sequence…"
    example_label = f"Example: {example.id}"
    choice = st.selectbox("Sequence", options + [example_label, other], key=f"{key}_choice",
                          help="Sequences submitted on the Predict page, the example, or your own.")
    if choice == example_label:
        return example.id, example.sequence
    if choice == other:
        text = st.text_input("RNA or DNA sequence (15–1,000 nt)", key=f"{key}_text")
        if not text.strip():
            st.info("Enter a sequence to analyse.")
            return None
        try:
            record = read_submission(text, max_records=1)[0]
        except InputError as exc:
            for problem in getattr(exc, "problems", [str(exc)]):
                st.error(md_escape(problem))
            return None
        return "your sequence", record.sequence
    record = result[choice].record
    return record.id, record.sequence


def attention_for(sequence: str):
    """Binary and seven-compartment attention of a sequence from this session's result, or a new prediction.

    Returns
    -------
    tuple (dict, str or None)
        ``{"binary": array, "seven": array}`` (empty when no model) and an error message.
    """
    result = submitted_result()
    if result is not None:
        for prediction in result:
            if prediction.sequence == sequence:
                return {"binary": np.asarray(prediction.attention),
                        "seven": np.asarray(prediction.attention_7comp)}, None
    cache = st.session_state.setdefault("_mirloc_attention", {})
    if sequence in cache:
        return cache[sequence], None
    predictor, error = get_predictor()
    if predictor is None:
        return {}, error
    from mirloc_core.io.fasta import SequenceRecord

    single = predict([SequenceRecord("query", "query", sequence)], sequence_only=True)["query"]
    value = {"binary": np.asarray(single.attention), "seven": np.asarray(single.attention_7comp)}
    if len(cache) > 20:
        cache.clear()
    cache[sequence] = value
    return value, None


# --------------------------------------------------------------------------- charts


def markdown_table(frame) -> str:
    """A small Markdown table (much cheaper for the browser than ``st.dataframe``); every cell is escaped."""
    def cell(value):
        return f"{value:.3f}" if isinstance(value, (float, np.floating)) else md_escape(value)

    head = "| " + " | ".join(md_escape(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *rows])


SHORT_NAMES = ("cyto", "exo", "nucleolus", "nucleus", "EV", "MV", "mito")
"""Compact column labels of the seven compartments (the full names are the columns' help)."""


def probability_column(label: str, help_text: str | None = None):
    return st.column_config.ProgressColumn(label, min_value=0.0, max_value=1.0, format="%.2f", help=help_text,
                                           width="small")


PROBABILITY_COLUMNS = [f"p_{k}" for k in COMPARTMENT_KEYS]

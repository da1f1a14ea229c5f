"""mirloc web app — entry point and the Predict page.

Run with ``streamlit run app.py``. This file routes to the pages (``app_pages/*.py``: a folder not named
``pages/``, which Streamlit would also route on its own, breaking direct links such as ``/motifs``) with
``st.navigation``, and is itself the Predict page: paste or upload up to ten FASTA sequences and get, per
sequence, its evidence level, the seven compartment probabilities beside their base rates, the
extracellular/intracellular call, the attention over its nucleotides, the network model's answer for known
miRNAs and the nearest known miRNAs, plus a CSV with the CLI's columns.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

import app_support as ui
from mirloc_core import explore, plot
from mirloc_core.config import CALL_THRESHOLD, COMPARTMENTS
from mirloc_core.io.fasta import APP_MAX_RECORDS, InputError, MAX_LENGTH, MIN_LENGTH


def _load_example() -> None:
    from mirloc_core.io.submission import example_fasta

    st.session_state["fasta_input"] = example_fasta()


def _render_network_match(match) -> None:
    st.badge(f"Known network miRNA: {match.name}", icon=":material/hub:", color="green")
    kind = "out-of-fold (held out in 10-fold CV)" if match.out_of_fold else "from the model trained on all labelled miRNAs"
    relation = {"near-identical": "is near-identical to it",
                "contained in": "lies inside its sequence (e.g. a mature miRNA of this precursor)",
                "contains": "contains its sequence"}.get(match.relation, match.relation)
    also = (f" Also exactly as similar: {', '.join(match.also_matches)} (the most specific labelled one is used)."
            if match.also_matches else "")
    st.caption(f"The query {relation}; normalised similarity {match.similarity:.2f}.{also} The bars show the "
               f"network model's probabilities, {kind}; the orange diamonds the sequence model's.")
    if match.labels is not None:
        known = [c for c, v in zip(COMPARTMENTS, np.asarray(match.labels)) if v]
        st.markdown("**Known compartments:** " + (", ".join(known) if known else "none"))
    else:
        st.markdown("**Known compartments:** unlabelled in the network data")
    st.markdown(f"**What the network model leaned on:** {ui.md_escape(explore.describe_reliance(match))}",
                help="The network model weighs four sources of information per miRNA (its sequence similarity to "
                     "other miRNAs, its diseases, its drugs, and the localization of its target mRNAs); these are "
                     "the weights it gave them for this miRNA.")


PARALOG_NOTE = ("Other human loci share this sequence (a multi-copy gene or a close family member). In the training "
                "labels such copies were annotated apart from their umbrella entry (hsa-mir-1-1 and hsa-mir-1-2 vs "
                "hsa-mir-1) and carry fewer exosome and microvesicle labels; both models learned that from the "
                "paralog count (About page), so read the exosome and microvesicle bars here as annotation, not "
                "biology.")

EVIDENCE_TEXT = {
    "known": ("Evidence: known network miRNA", "green",
              "A labelled miRNA of the network benchmark: its known compartments are listed, and the bars are the "
              "network model's out-of-fold prediction for it."),
    "near_known": ("Evidence: near a known miRNA", "blue",
                   "Close to a labelled network miRNA (named below with its known compartments); the bars come from "
                   "the sequence model, which transfers much from such neighbours."),
    "novel": ("Evidence: novel", "orange",
              "miRNA-like, but far from every labelled miRNA. For such miRNAs the sequence model does no better "
              "than a trivial study-bias score (About page): the bars rest mostly on conservation, a study-age "
              "signal, and sit close to the base rates (black ticks). The most recently found miRNAs are labelled "
              "almost only \"exosome + microvesicle\" (the labels record which studies looked), so the labels "
              "could not teach the other compartments for miRNAs like this one. Treat the bars as weak hypotheses."),
}


def _render_out_of_domain(prediction, position: int) -> None:
    domain = prediction.domain
    st.error("**Not miRNA-like: no prediction.** This sequence resembles no miRNA of miRBase 22 "
             f"(at most {domain.similarity:.0%} of it is explained by one miRBase entry, seed identity "
             f"{domain.seed_identity:.0%}), so the models, trained on miRNAs, have nothing to say about it.",
             icon=":material/block:")
    with st.expander("What the models output anyway (not a prediction)"):
        st.plotly_chart(plot.probability_figure(prediction.probabilities, base_rates=prediction.base_rates,
                                                bar_label=prediction.source),
                        key=f"bars_{position}", config={"displayModeBar": False})


def _render_attention(prediction, position: int) -> None:
    """The binary model's attention over the nucleotides, known-motif hits marked, with links to the other pages."""
    st.markdown("**Attention over the nucleotides** (binary model; 1 = uniform)")
    st.plotly_chart(plot.attention_track(prediction.sequence, prediction.attention,
                                         ui.known_motif_hits(prediction.sequence)),
                    key=f"attention_{position}", config={"displayModeBar": False})
    left, right = st.columns(2)
    left.page_link("app_pages/1_Motifs.py", label="Motifs of this sequence", icon=":material/text_fields:",
                   query_params={ui.SEQUENCE_PARAM: prediction.id})
    right.page_link("app_pages/4_Structure.py", label="Its structure", icon=":material/view_in_ar:",
                    query_params={ui.SEQUENCE_PARAM: prediction.id})


def _render_evidence(prediction) -> None:
    label, color, text = EVIDENCE_TEXT[prediction.evidence]
    if prediction.evidence == "known" and prediction.network is None:  # sequence-only mode
        text = ("A labelled miRNA of the network benchmark; with the sequence model only, the bars are the "
                "sequence model's (switch the mode off for the network model's out-of-fold prediction).")
    st.badge(label, icon=":material/fact_check:", color=color)
    st.caption(text)
    name, closeness, labels = prediction.nearest_labelled
    if prediction.evidence == "near_known":
        st.markdown(f"**Closest labelled miRNA:** {ui.md_escape(name)} (closeness {closeness:.2f}); known in: "
                    + (", ".join(labels) if labels else "none"))


def _render_record(prediction, position: int, binary_context: dict | None) -> None:
    rid = prediction.id
    match = prediction.network
    with st.container(border=True):
        st.markdown(f"#### {ui.md_escape(rid)}")
        description = prediction.record.description
        header = f"{ui.md_escape(description)} · " if description != rid else ""
        st.caption(f"{header}{len(prediction.sequence)} nt · probabilities from: {ui.md_escape(prediction.source)}")
        if prediction.out_of_domain:
            _render_out_of_domain(prediction, position)
            return
        left, right = st.columns([3, 2])
        with left:
            markers = {"sequence model": prediction.sequence_probabilities} if match is not None else None
            st.plotly_chart(plot.probability_figure(prediction.probabilities, markers, bar_label=prediction.source,
                                                    base_rates=prediction.base_rates),
                            key=f"bars_{position}", config={"displayModeBar": False})
            st.caption("Black ticks: the base rate of each compartment among the training miRNAs: a bar says "
                       "something only by how far it stands from its tick.")
            _render_attention(prediction, position)
        with right:
            _render_evidence(prediction)
            st.markdown(f"**Call:** {ui.md_escape(prediction.call)} (p = {prediction.call_probability:.2f})",
                        help=binary_context["sentence"] if binary_context else None)
            if match is not None and match.relation in ("contained in", "contains"):
                st.caption("The network bars belong to the gene (its precursor and matures share them); the call "
                           "follows the sequence itself, mostly its length, so a mature and its precursor can get "
                           "opposite calls under the same bars.")
            above = prediction.called_compartments
            st.markdown(f"**At or above {CALL_THRESHOLD}:** " + (", ".join(above) if above else "none"))
            if prediction.conservation is not None:
                st.markdown(f"**Conservation:** a 20-nt stretch is shared with {prediction.conservation} other "
                            f"species and {prediction.paralogs} other human miRNA loci in miRBase 22",
                            help="Most of the sequence model's seven-compartment answer comes from these two "
                                 "counts: conserved miRNAs and large families (multi-copy genes such as let-7) are "
                                 "reported in more compartments. They are also the long-known, well-studied ones, "
                                 "so this is a study-bias signal as much as biology. The sequence's own miRBase "
                                 "entry, precursor and matures are not counted as other loci.")
                if prediction.paralogs:
                    st.caption(PARALOG_NOTE)
            if match is not None:
                _render_network_match(match)
            if len(prediction.nearest):
                st.markdown("**Nearest known miRNAs** (normalised Smith–Waterman similarity)")
                st.markdown(ui.markdown_table(prediction.nearest[["name", "similarity"]]))


def _render_result(result) -> None:
    for notice in result.notices:
        st.info(ui.md_escape(notice), icon=":material/info:")
    table = result.table
    st.subheader(f"Results for {len(table)} sequence{'s' if len(table) != 1 else ''}")
    st.download_button("Download CSV", data=result.to_csv(), file_name="mirloc_predictions.csv",
                       mime="text/csv", key="download_csv", icon=":material/download:",
                       on_click="ignore")  # no rerun: a rerun can drop the file while the browser fetches it
    shown = table[["id", "evidence", "call"] + ui.PROBABILITY_COLUMNS + ["known_mirna"]]
    config = {c: ui.probability_column(label, help_text=name)
              for c, label, name in zip(ui.PROBABILITY_COLUMNS, ui.SHORT_NAMES, COMPARTMENTS)}
    config["known_mirna"] = st.column_config.TextColumn("known miRNA")
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config, key="result_table")
    binary_context = ui.binary_call_context()
    if binary_context:
        st.caption(binary_context["sentence"])
    for position, prediction in enumerate(result):
        _render_record(prediction, position, binary_context)


def predict_page() -> None:
    """The Predict page."""
    st.title("mirloc — where does this microRNA go?")
    st.markdown(
        "Predicts the subcellular localization of microRNAs in **seven compartments** (cytoplasm, exosome, "
        "nucleolus, nucleus, extracellular vesicle, microvesicle, mitochondrion) and calls them "
        "**extracellular or intracellular**. Known network miRNAs also get the multi-source network model's answer."
    )
    # one form: typing, uploading and the mode switch send nothing to the server until Predict is pressed, so a
    # request costs one page run (pasting then clicking would otherwise run the page twice, the first time only
    # to re-draw the previous results)
    with st.form("submission", border=False):
        st.text_area(f"FASTA — up to {APP_MAX_RECORDS} sequences, {MIN_LENGTH}–{MAX_LENGTH:,} nt each (RNA or DNA "
                     "letters)", key="fasta_input", height=200, placeholder=">my-mirna\nUAGCUUAUCAGACUGAUGUUGA")
        upload = st.file_uploader("…or upload a FASTA file (.fa, .fasta, .txt; at most 1 MB). An uploaded file is "
                                  "used instead of the text box.", type=["fa", "fasta", "txt"], key="fasta_upload")
        c1, c2, c3 = st.columns([1, 1, 5], vertical_alignment="center")
        # Predict first: Ctrl+Enter in the text box presses the form's first button
        clicked = c1.form_submit_button("Predict", key="predict", type="primary", width="stretch")
        c2.form_submit_button("Load example", key="load_example", on_click=_load_example, width="stretch",
                              help="hsa-miR-21-5p, hsa-miR-122-5p, hsa-miR-29b-3p and the hsa-mir-21 precursor "
                                   "(miRBase 22)")
        sequence_only = c3.toggle("Sequence model only", key="sequence_only",
                                  help="Skip the look-up of known network miRNAs (their network-model prediction).")
    # the inputs above are already interactive while the models load (once per server process)
    predictor, error = ui.get_predictor()
    if error:
        st.error(ui.md_escape(error) + "  \nThe app cannot predict until the weights are restored "
                 "(`weights/` in the repository, or `MIRLOC_WEIGHTS_REPO`).")
    if clicked and predictor is not None:
        from mirloc_core.io.submission import read_submission

        try:
            records = read_submission(st.session_state.get("fasta_input", ""),
                                      upload.getvalue() if upload is not None else None,
                                      upload.name if upload is not None else None)
        except InputError as exc:
            st.session_state.pop(ui.RESULT_KEY, None)
            st.error("Nothing was predicted; please fix the input:", icon=":material/block:")
            for problem in getattr(exc, "problems", [str(exc)]):
                st.error(ui.md_escape(problem))
            return
        if upload is not None:
            st.caption(f"Using the uploaded file {ui.md_escape(upload.name)}.")
        try:
            with st.spinner(f"Predicting {len(records)} sequence{'s' if len(records) > 1 else ''}…"):
                st.session_state[ui.RESULT_KEY] = ui.predict(records, sequence_only)
        except InputError as exc:
            st.error(ui.md_escape(str(exc)))
            return
        except Exception as exc:  # never a traceback in the page; the server log keeps the details
            import logging

            logging.getLogger("mirloc.app").exception("prediction failed")
            st.error(f"The prediction failed unexpectedly ({type(exc).__name__}); nothing was lost on your side — "
                     "please try again or report the input that caused it.")
            return
    result = ui.submitted_result()
    if result is not None:
        _render_result(result)
    elif not clicked:
        st.info("Paste sequences or click **Load example**, then **Predict**.", icon=":material/arrow_upward:")


def main() -> None:
    st.session_state[ui.ROUTER_KEY] = True
    # no page icons: Streamlit would make each one the tab icon, fetched from an external font host
    pages = [
        st.Page(predict_page, title="Predict", default=True),
        st.Page("app_pages/1_Motifs.py", title="Motifs", url_path="motifs"),
        st.Page("app_pages/2_Network_explorer.py", title="Network explorer", url_path="network"),
        st.Page("app_pages/3_Case_studies.py", title="Case studies", url_path="case-studies"),
        st.Page("app_pages/4_Structure.py", title="Structure", url_path="structure"),
        st.Page("app_pages/5_About.py", title="About / model card", url_path="about"),
    ]
    page = st.navigation(pages)
    ui.page_setup(page.title, standalone=False)
    page.run()
    ui.sidebar()  # after the page, so that the page's inputs are interactive before the models are loaded


main()

"""Motifs: where the sequence model looks in a sequence, known motifs on it, and the motifs of each class."""

from __future__ import annotations

import streamlit as st

import app_support as ui
from mirloc_core.io.artifacts import ArtifactError

ui.page_setup("Motifs")
st.title("Motifs")
st.markdown(
    "The sequence model's **attention over nucleotides**: positions above the sequence's median are highlighted "
    "(RNALoc-LM's rule). Hits of the known localization and RNA-binding-protein motifs are shaded on the track. "
    "Below, for each class, the motifs read from the attention and found de novo (GLAM2), with the known motifs "
    "they match."
)

chosen = ui.choose_sequence("motifs")
if chosen is not None:
    seq_id, sequence = chosen
    attention, error = ui.attention_for(sequence)
    if error:
        st.warning(ui.md_escape(error))
    from mirloc_core import motifs, plot
    from mirloc_core.pretrained import load_motif_artifacts

    try:
        artifacts = load_motif_artifacts()
        artifact_error = None
    except ArtifactError as exc:
        artifacts, artifact_error = None, str(exc)
    try:
        view = motifs.annotate_sequence(sequence, attention.get("binary"), artifacts)
        hits = view["known_hits"]
    except Exception as exc:  # the known motifs need the shared data when weights/motifs is not built
        view, hits = None, None
        st.warning(f"Known motifs could not be scanned: {ui.md_escape(exc)}")
    st.subheader(f"Attention on {ui.md_escape(seq_id)} ({len(sequence)} nt)")
    if attention:
        model = st.radio("Attention of", ["extracellular / intracellular model", "seven-compartment model"],
                         horizontal=True, key="motifs_attention_model")
        track = attention["binary"] if model.startswith("extra") else attention["seven"]
        st.plotly_chart(plot.attention_figure(sequence, track, hits), key="attention_track",
                        config={"displayModeBar": False})
        st.caption("Red: attention above the median (important positions). Yellow bands: known-motif hits "
                   "(p ≤ 1e-3).")
    if view is not None:
        left, right = st.columns(2)
        with left:
            st.markdown("**Known motifs on this sequence**")
            if len(hits):
                st.dataframe(hits[["motif_id", "motif_name", "start", "end", "matched", "score", "p_value"]],
                             hide_index=True, width="stretch", key="known_hits",
                             column_config={"p_value": st.column_config.NumberColumn("p-value", format="%.1e")})
            else:
                st.info("No known motif passes p ≤ 1e-3 on this sequence.")
        with right:
            st.markdown("**Important segments (attention above the median)**")
            if len(view["seqlets"]):
                st.dataframe(view["seqlets"], hide_index=True, width="stretch", key="seqlets")
            else:
                st.info("No attention available for this sequence.")
        if len(view["model_motif_hits"]):
            st.markdown("**Sites of the model-derived motifs on this sequence**")
            st.dataframe(view["model_motif_hits"][["motif_id", "source", "start", "end", "matched", "p_value"]],
                         hide_index=True, width="stretch", key="model_hits")

    st.divider()
    st.subheader("Motifs of each class")
    if artifact_error:
        st.error(f"The motif artefacts are corrupt: {ui.md_escape(artifact_error)}")
    elif artifacts is None:
        st.info("The class motifs have not been built yet (`python -m mirloc_core motifs build` writes "
                "`weights/motifs/`). The attention track and known-motif scan above work without them.")
    else:
        classes = artifacts["classes"]
        labels = sorted({m.label for m in artifacts["attention"] + artifacts["denovo"] if m.label})
        if labels:
            label = st.selectbox("Class", labels, key="motifs_class")
            matches = artifacts["matches"]
            for source, title in (("attention", "From the attention (median rule)"), ("denovo", "De novo (GLAM2)")):
                chosen_motifs = [m for m in artifacts[source] if m.label == label]
                st.markdown(f"**{title}** — {len(chosen_motifs)} motif(s)")
                if not chosen_motifs:
                    st.caption("none for this class")
                for motif in chosen_motifs[:6]:
                    c1, c2 = st.columns([2, 3])
                    with c1:
                        logo = artifacts["logos"].get(motif.id)
                        if logo is not None:
                            st.image(str(logo), caption=f"{motif.id} · {motif.consensus}")
                        else:
                            import matplotlib.pyplot as plt

                            fig = plot.logo_figure(motif.pwm, title=f"{motif.id} {motif.consensus}")
                            st.pyplot(fig)
                            plt.close(fig)
                    with c2:
                        evalue = f"{motif.evalue:.2g}" if motif.evalue is not None else "–"
                        st.caption(f"{motif.nsites} sites · E-value {evalue}")
                        if len(matches) and "query_id" in matches.columns:
                            own, significant = motifs.best_known_matches(matches, motif.id)
                            st.markdown("Best-matching known motifs (TOMTOM):")
                            st.dataframe(own, hide_index=True, width="stretch",
                                         column_config={"p_value": st.column_config.NumberColumn("p", format="%.1e"),
                                                        "q_value": st.column_config.NumberColumn("q", format="%.2f")})
                            if not significant:
                                st.caption(f"No match is significant at q ≤ {motifs.MATCH_Q}.")
        if len(classes):
            with st.expander("Per-class summary"):
                st.dataframe(classes, hide_index=True, width="stretch")

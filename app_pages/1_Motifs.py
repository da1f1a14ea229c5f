"""Motifs: where the sequence model looks in a sequence, known motifs on it, and the motifs of each class."""

from __future__ import annotations

import streamlit as st

import app_support as ui
from mirloc_core.io.artifacts import ArtifactError

ui.page_setup("Motifs")
st.title("Motifs")


@st.cache_resource(show_spinner=False)
def _artifacts():
    from mirloc_core.pretrained import load_motif_artifacts

    try:
        return ui.long_lived(load_motif_artifacts()), None
    except ArtifactError as exc:
        return None, str(exc)


@st.cache_data(show_spinner=False, max_entries=256)
def _aligned_logo_png(motif_id: str) -> bytes | None:
    """The derived motif's logo with its best known match aligned under it (PNG), or None without a match."""
    import io

    import matplotlib.pyplot as plt

    from mirloc_core import motifs, plot

    artifacts, _ = _artifacts()
    alignment = motifs.known_match_alignment(artifacts["matches"], motif_id)
    if alignment is None or alignment["target_id"] not in artifacts["motifs"]:
        return None
    query, target = artifacts["motifs"][motif_id], artifacts["motifs"][alignment["target_id"]]
    fig = plot.aligned_logo_figure(
        query.pwm, target.pwm, alignment, f"{query.id} · {query.consensus} (derived)",
        f"{alignment['target_name']} · {alignment['target_id']} (known, offset {alignment['offset']})")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    plt.close(fig)
    return buffer.getvalue()


artifacts, artifact_error = _artifacts()
if artifacts is not None:
    from mirloc_core import motifs as _motifs

    statements = _motifs.recovery_statements(artifacts["report"])
    if statements:
        st.markdown("**What was and was not recovered** (from the motif build, `weights/motifs/motifs.json`)")
        st.markdown("\n".join(f"- {line}" for line in statements))  # the released build's own text (trusted)
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
        st.caption("Attention ÷ uniform: 1 (black line) is what every position gets when the attention is flat; "
                   "bars rise above or drop below it. Red: above the sequence's median (important positions). "
                   "Yellow bands: known-motif hits (p ≤ 1e-3). The important segments use the same scale.")
    if view is not None:
        st.markdown("**Known motifs on this sequence**")
        if len(hits):
            st.dataframe(hits[["motif_name", "motif_id", "start", "end", "matched", "score", "p_value"]],
                         hide_index=True, width="stretch", key="known_hits",
                         column_config={"motif_name": st.column_config.TextColumn("motif / RBP"),
                                        "motif_id": st.column_config.TextColumn("id"),
                                        "p_value": st.column_config.NumberColumn("p-value", format="%.2e")})
        else:
            st.info("No known motif passes p ≤ 1e-3 on this sequence.")
        st.markdown("**Important segments (attention above the median)**")
        if len(view["seqlets"]):
            st.dataframe(view["seqlets"], hide_index=True, width="stretch", key="seqlets", column_config={
                "attention": st.column_config.NumberColumn("attention ÷ uniform", format="%.3f",
                                                           help="mean over the segment; 1 = flat attention")})
        else:
            st.info("No attention available for this sequence.")
        if len(view["model_motif_hits"]):
            st.markdown("**Sites of the model-derived motifs on this sequence**")
            st.dataframe(view["model_motif_hits"][["motif_id", "source", "start", "end", "matched", "p_value"]],
                         hide_index=True, width="stretch", key="model_hits",
                         column_config={"p_value": st.column_config.NumberColumn("p-value", format="%.2e")})

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
            st.caption(motifs.EVALUE_NOTES["tomtom"])
            for source, title in (("attention", "From the attention (median rule)"), ("denovo", "De novo (GLAM2)")):
                chosen_motifs = [m for m in artifacts[source] if m.label == label]
                st.markdown(f"**{title}** — {len(chosen_motifs)} motif(s)")
                st.caption(motifs.EVALUE_NOTES["attention" if source == "attention" else "glam2"])
                if not chosen_motifs:
                    st.caption("none for this class")
                for motif in chosen_motifs[:6]:
                    c1, c2 = st.columns([3, 2])
                    with c1:
                        aligned = _aligned_logo_png(motif.id)
                        logo = artifacts["logos"].get(motif.id)
                        if aligned is not None:
                            st.image(aligned, caption=f"{motif.id} (top) with its best-matching known motif "
                                                      "aligned under it (RBP or element name, then id)")
                        elif logo is not None:
                            st.image(str(logo), caption=f"{motif.id} · {motif.consensus}")
                    with c2:
                        evalue = f"{motif.evalue:.2g}" if motif.evalue is not None else "–"
                        st.caption(f"{motif.id} · `{motif.consensus}` · {motif.nsites} sites · E-value {evalue}")
                        if len(matches) and "query_id" in matches.columns:
                            own, significant = motifs.best_known_matches(matches, motif.id)
                            st.markdown("Best-matching known motifs (TOMTOM):")
                            st.dataframe(
                                own.rename(columns={"target_name": "known motif", "target_id": "id"})[
                                    ["known motif", "id", "p_value", "q_value"]],
                                hide_index=True, width="stretch", key=f"match_{motif.id}",
                                column_config={"p_value": st.column_config.NumberColumn("p", format="%.2e",
                                                                                        width="small"),
                                               "q_value": st.column_config.NumberColumn("q", format="%.2f",
                                                                                        width="small")})
                            if not significant:
                                st.caption(f"No match is significant at q ≤ {motifs.MATCH_Q}.")
        if len(classes):
            with st.expander("Per-class summary"):
                st.dataframe(classes, hide_index=True, width="stretch")

"""Structure: the ViennaRNA MFE fold of a sequence, in 2D and as a coarse-grained 3D model."""

from __future__ import annotations

import streamlit as st

import app_support as ui
from mirloc_core import plot, structure

ui.page_setup("Structure")
st.title("Structure")
st.markdown(
    "The **minimum-free-energy secondary structure** (ViennaRNA `RNA.fold`, 37 °C) of a sequence, drawn in 2D "
    "and as a **coarse-grained 3D model**, coloured by the sequence model's attention."
)

chosen = ui.choose_sequence("structure")
if chosen is not None:
    seq_id, sequence = chosen
    fold = structure.fold(sequence)
    attention, error = ui.attention_for(sequence)
    if error:
        st.warning(ui.md_escape(error))
    scores = attention.get("binary") if attention else None
    st.subheader(f"{ui.md_escape(seq_id)} · {len(sequence)} nt · MFE {fold.mfe:.2f} kcal/mol")
    st.code(f"{sequence}\n{fold.dot_bracket}", language=None)
    left, right = st.columns(2)
    with left:
        st.markdown("**2D layout** (naview)")
        st.plotly_chart(plot.figure_2d(fold, scores), key="fold_2d")
    with right:
        st.markdown("**3D view — a coarse-grained model, not a predicted tertiary structure**")
        pdb = structure.coarse_grained_pdb(fold, scores, title=f"mirloc model {len(sequence)} nt")
        st.iframe(structure.viewer_html(pdb, height=480), height=490)
        st.caption("One sphere per nucleotide: helices of the MFE fold placed on an A-form-like helix "
                   "(2.8 Å rise, 32.7° twist), loops on arcs. Colour: attention (white → red). Drag to rotate, "
                   "scroll to zoom. 3Dmol.js is served by the app itself (works offline).")
        st.download_button("Download the model (PDB)", pdb, file_name="mirloc_coarse_model.pdb",
                           mime="chemical/x-pdb", key="download_pdb", on_click="ignore")

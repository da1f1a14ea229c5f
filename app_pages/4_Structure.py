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
    matures = structure.mature_sites(sequence)
    if matures:
        st.markdown("**Mature miRNA(s) in this sequence** (human miRBase 22): " + "; ".join(
            f"{ui.md_escape(site['name'])} at {site['start']}–{site['end']}" for site in matures))
    else:
        st.caption("No human miRBase 22 mature miRNA is contained in this sequence (or miRBase is not available).")
    st.markdown("**Colour legend (both views)** — colour: the sequence model's attention (extracellular / "
                "intracellular model), lowest to highest within this sequence")
    st.plotly_chart(plot.score_legend("attention", matures=bool(matures)), key="structure_legend",
                    config={"displayModeBar": False, "staticPlot": True})
    st.markdown("**2D layout** (ViennaRNA RNApuzzler; 5' end on the left; hover a base for its attention)")
    st.plotly_chart(plot.figure_2d(fold, scores, matures=matures), key="fold_2d")
    st.markdown("**3D view — a coarse-grained model, not a predicted tertiary structure**")
    pdb = structure.coarse_grained_pdb(fold, scores, title=f"mirloc model {len(sequence)} nt")
    st.iframe(structure.viewer_html(pdb, height=480, matures=matures), height=490)
    st.caption("One sphere per nucleotide: helices of the MFE fold placed on an A-form-like helix "
               "(2.8 Å rise, 32.7° twist), loops on arcs. Same colours as the 2D layout (legend above). Drag to "
               "rotate, scroll to zoom. 3Dmol.js is served by the app itself (works offline).")
    st.download_button("Download the model (PDB)", pdb, file_name="mirloc_coarse_model.pdb",
                       mime="chemical/x-pdb", key="download_pdb", on_click="ignore")

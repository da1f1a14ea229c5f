"""Case studies: GTMALoc's 35 literature-backed miRNA–compartment pairs with our probabilities."""

from __future__ import annotations

import streamlit as st

import app_support as ui
from mirloc_core.config import CALL_THRESHOLD

from mirloc_core import explore

ui.page_setup("Case studies")
st.title("Case studies")
st.markdown(
    "GTMALoc's Table 5 lists, per compartment, five miRNAs with literature evidence. For each pair we show the "
    "**network model's probability for that compartment** — out-of-fold (the miRNA was held out in 10-fold CV) "
    "when it is a labelled training miRNA, which is marked — the benchmark's known label, and the PubMed link. "
    "Short names are matched to network names by a fixed rule: drop `-5p`/`-3p`, write `mir`, prefix `hsa-` "
    "(`miR-146b-5p` → `hsa-mir-146b`); names that are not human network miRNAs stay unmatched."
)


def main() -> None:
    atlas, atlas_error = ui.get_atlas()
    if atlas is None:
        st.error(ui.md_escape(atlas_error) + "  \nThe case studies need the released network model (`weights/network/`).")
        return
    ui.hub_resolution()
    if not ui.data_available():
        st.warning(ui.md_escape(ui.data_missing_message()), icon=":material/warning:")
        return

    table = explore.case_study_table(atlas)
    compartments = ["All"] + list(dict.fromkeys(table["compartment"]))
    choice = st.segmented_control("Compartment", compartments, default="All", key="case_compartment")
    shown = table if choice in (None, "All") else table[table["compartment"] == choice]
    counts = explore.case_study_counts(shown)
    c1, c2, c3 = st.columns(3)
    c1.metric("Pairs", counts["pairs"])
    c2.metric("In the network", counts["in_network"])
    c3.metric(f"Probability ≥ {CALL_THRESHOLD}", counts["called"])
    for compartment in dict.fromkeys(shown["compartment"]):
        note = explore.case_study_note(atlas, shown, compartment)
        if note:
            st.info(ui.md_escape(note), icon=":material/info:")
    shown = shown.assign(
        held_out=shown["out_of_fold"].map({True: "out-of-fold", False: ""}),
        known=shown["known"].map({True: "✓", False: "✗", None: "–"}),
        network_name=shown["network_name"].fillna("not in network"),
    )
    st.dataframe(
        shown[["compartment", "rank", "mirna", "network_name", "probability", "times_base_rate", "held_out", "known",
               "evidence", "pubmed_url"]],
        hide_index=True, width="stretch", height=35 * (len(shown) + 1) + 3, key="case_table",
        column_config={
            "compartment": st.column_config.TextColumn("compartment", width=165),
            "rank": st.column_config.NumberColumn("rank", help="GTMALoc's rank", width=50),
            "mirna": st.column_config.TextColumn("miRNA", width=95),
            "network_name": st.column_config.TextColumn("network miRNA", width=110),
            "probability": st.column_config.ProgressColumn("probability", help="network model, for this compartment",
                                                           format="%.3f", min_value=0.0, max_value=1.0, width=120),
            "times_base_rate": st.column_config.NumberColumn(
                "× base rate", format="%.1f×", width=70,
                help="probability ÷ the share of the 901 labelled miRNAs that carry this compartment"),
            "held_out": st.column_config.TextColumn("held out?", width=85,
                                                    help="out-of-fold = the miRNA was held out of training"),
            "known": st.column_config.TextColumn("known", width=60,
                                                 help="the benchmark's label for this compartment"),
            "evidence": st.column_config.TextColumn("evidence", width=105),
            "pubmed_url": st.column_config.LinkColumn("PubMed", display_text="open", width=55),
        },
    )
    st.caption("“Unconfirmed” evidence is as given in GTMALoc's table. ✗ in “known” means the benchmark does not "
               "list this compartment for the miRNA; – means it is unlabelled or not in the network.")


main()

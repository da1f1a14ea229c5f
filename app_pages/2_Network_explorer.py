"""Network explorer: any of the 1,041 network miRNAs, its neighbours and its predicted vs known compartments."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import app_support as ui
from mirloc_core import explore, plot

ui.page_setup("Network explorer")
st.title("Network explorer")
st.markdown(
    "The 1,041 miRNAs of the multi-source network (PMiSLocMF / GTMALoc benchmark). Pick one to see its "
    "neighbours **by sequence** (normalised Smith–Waterman), **by function** (disease-association "
    "similarity) and **by the network model's fused embedding**, with the diseases and drugs they share, "
    "its target-mRNA co-localization profile, and its predicted and known compartments."
)


def _search_or_pick(atlas, names):
    """A search box (mature name, miRBase accession, sequence, network name) or the list of network miRNAs."""
    query = st.text_input("Search: a mature name (hsa-miR-21-5p), a miRBase accession (MIMAT0000076, MI0000077), "
                          "a network name or a pasted sequence", key="explorer_search",
                          placeholder="hsa-miR-21-5p")
    if query.strip():
        found = explore.resolve_query(query, atlas)
        if found.name is None:
            st.error(ui.md_escape(found.relation))
            return None
        st.success(f"Resolved: {ui.md_escape(found.relation)}", icon=":material/link:")
        return found.name
    default = names.index("hsa-mir-21") if "hsa-mir-21" in names else 0
    return st.selectbox(f"…or pick a network miRNA ({len(names):,}; type to filter)", names, index=default,
                        key="explorer_name")


def main() -> None:
    atlas, atlas_error = ui.get_atlas()
    if atlas is None:
        st.error(ui.md_escape(atlas_error) + "  \nThe network explorer needs the released network model "
                 "(`weights/network/`).")
        return
    network, network_error = ui.get_network()
    if network is None:
        st.warning(ui.md_escape(network_error), icon=":material/warning:")

    names = list(atlas.names)
    result = ui.submitted_result()
    nearest_options = {}
    if result is not None:
        for rid, frame in result.nearest.items():
            if len(frame):
                nearest_options[f"nearest to {rid}: {frame.iloc[0]['name']}"] = str(frame.iloc[0]["name"])
    mode = "network"
    if nearest_options:
        mode = st.radio("Choose", ["a network miRNA", "the nearest known miRNA of a submitted sequence"],
                        horizontal=True, key="explorer_mode")
    if nearest_options and mode.startswith("the nearest"):
        label = st.selectbox("Submitted sequence", list(nearest_options), key="explorer_nearest")
        name = nearest_options[label]
    else:
        name = _search_or_pick(atlas, names)
        if name is None:
            return
    k = st.slider("Neighbours per relation", 3, 15, 8, key="explorer_k")
    rates = explore.base_rates(atlas)

    i = names.index(name)
    st.subheader(name)
    st.caption(f"miRBase mapping: {atlas.mapping_source[i]}"
               + (f" · {len(atlas.sequences[i])} nt" if atlas.sequences[i] else " · no sequence"))
    st.markdown(explore.describe_prediction(atlas, name))

    seq_matrix, func_matrix = ui.get_similarities()
    with st.spinner("Finding neighbours…"):
        hood = explore.neighbourhood(atlas, name, k=k, network=network, seq_matrix=seq_matrix,
                                         func_matrix=func_matrix)
    for notice in hood.notices:
        st.info(ui.md_escape(notice))

    graph_col, comp_col = st.columns([3, 2])
    with graph_col:
        st.markdown("**Neighbourhood graph**")
        st.plotly_chart(plot.neighbour_graph(hood, atlas), key="neighbour_graph")
        st.caption("Neighbours arranged by relation (one sector and colour each; nearer the centre = more "
                   "similar). Hover a dot for its name, similarity and labels; click a legend entry to hide a "
                   "relation.")
    with comp_col:
        st.markdown("**Compartments: network model vs known labels**")
        comps = explore.compartment_table(atlas, name)
        st.plotly_chart(plot.probability_figure(comps["probability"].to_numpy(), height=260,
                                                                base_rates=rates), key="compartment_bars",
                        config={"displayModeBar": False})
        comps["known"] = comps["known"].map({True: "✓", False: "", None: "–"})
        comps["base_rate"] = rates
        comps["times_base_rate"] = comps["probability"] / comps["base_rate"].clip(lower=1e-6)
        st.dataframe(comps[["compartment", "known", "probability", "base_rate", "times_base_rate"]], hide_index=True,
                     width="stretch", key="compartments",
                     column_config={"compartment": st.column_config.TextColumn("compartment", width=125),
                                    "probability": st.column_config.NumberColumn("probability", format="%.3f",
                                                                                 width=70),
                                    "known": st.column_config.TextColumn("known", width=48),
                                    "base_rate": st.column_config.NumberColumn(
                                        "base rate", format="%.2f", help="share of the 901 labelled miRNAs", width=55),
                                    "times_base_rate": st.column_config.NumberColumn(
                                        "× base", format="%.1f×", width=60, help="probability ÷ base rate")})
        if network is not None:
            counts = explore.association_counts(network, name)
            c1, c2 = st.columns(2)
            c1.metric("Diseases (HMDD)", counts["diseases"])
            c2.metric("Drugs (ncDR)", counts["drugs"])
        profile = explore.colocalization_profile(name, names)
        if profile is not None:
            st.markdown("**Target-mRNA co-localization profile**")
            st.dataframe(pd.DataFrame({"compartment": profile.index, "co-localization": profile.to_numpy()}),
                         hide_index=True, width="stretch", key="coloc",
                         column_config={"co-localization": st.column_config.NumberColumn(format="%.3f")})

    st.markdown("**Neighbours**")
    st.caption("Almost every miRNA scores high for exosome and microvesicle because most labelled miRNAs carry "
               "them (base rates " + ", ".join(f"{c} {r:.2f}" for c, r in explore.base_rate_leaders(rates)) + "); "
               "“most above base rate” names the compartment where a neighbour's probability exceeds the base "
               "rate most, and “known labels” its labels in the benchmark.")
    tabs = st.tabs([f"by {r}" for r in hood.table["relation"].unique()])
    for tab, (relation, group) in zip(tabs, hood.table.groupby("relation", sort=False)):
        with tab:
            st.dataframe(group.drop(columns=["relation"]), hide_index=True, width="stretch", key=f"nb_{relation}",
                         column_order=["rank", "name", "similarity", "known_labels", "most_above_base",
                                       "times_base_rate", "top_compartment", "top_probability", "shared_diseases",
                                       "shared_drugs", "labelled"],
                         column_config={"similarity": st.column_config.NumberColumn(format="%.3f"),
                                        "known_labels": st.column_config.TextColumn("known labels"),
                                        "most_above_base": st.column_config.TextColumn("most above base rate"),
                                        "times_base_rate": st.column_config.NumberColumn("× base rate",
                                                                                         format="%.1f×"),
                                        "top_probability": ui.probability_column("top probability")})


main()

"""About / model card: models, benchmark tables (from benchmarks/results/*.json), baselines, data, citation."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import app_support as ui
from mirloc_core import explore, plot, pretrained
from mirloc_core.reports import readme

ui.page_setup("About")
st.title("About mirloc — model card")

st.header("How good is it, honestly")
st.caption("Rendered from `benchmarks/results/*.json` at page load, the same lines as the README.")
st.markdown("\n".join(readme.result_lines(ui.settings().results_dir)))
st.markdown(
    """
**What to read from each result.**
* **Evidence level first.** *known*: a labelled network miRNA (its known compartments are shown beside the network
  model's out-of-fold bars); *near known*: close to a labelled miRNA (named, with its labels); *novel*: miRNA-like
  but far from every labelled miRNA, so the bars are weak hypotheses; *out of domain*: not miRNA-like (random,
  shuffled, another RNA class) — no prediction is shown.
* **Each bar against its base rate.** The black tick on a bar is how often that compartment is labelled among the
  training miRNAs (exosome and microvesicle: almost all of them). A bar well above its tick is a lead; a bar at its
  tick says nothing about this sequence.
* **The extracellular / intracellular call is mostly "mature or precursor".**
"""
)
binary = ui.binary_call_context()
if binary:
    st.markdown(binary["sentence"])
st.subheader("Accuracy by evidence level")
st.caption("Mean AUC / AUPR over the seven compartments (1 = perfect ranking, 0.5 = chance), from the benchmark JSON; "
           "the study-bias score only counts a miRNA's known disease and drug links, no biology: a model is worth "
           "its margin over it.")
st.dataframe(pd.DataFrame(readme.accuracy_by_evidence(ui.settings().results_dir)), hide_index=True,
             width="stretch", key="accuracy_by_evidence")

st.markdown(
    """
**What it predicts.** For a microRNA sequence (mature or precursor, 15–1,000 nt): the probability of each of
seven compartments (cytoplasm, exosome, nucleolus, nucleus, extracellular vesicle, microvesicle, mitochondrion;
multi-label, threshold 0.5) and an extracellular / intracellular call. Miss-calls are common: treat the output
as a ranked hypothesis to test, not as a measurement.

**Models.**
* *Sequence models* (work for any sequence): a small RNA language model pretrained on miRBase 22, fine-tuned
  on RNALoc-LM's 1,011 labelled miRNAs (binary) and on the 901 labelled network miRNAs (seven compartments);
  their attention over nucleotides is shown on the Motifs and Structure pages. The seven-compartment output
  also blends in the labels of the most similar labelled miRNAs (Smith–Waterman) and a *conservation* head
  (how many other species in miRBase share the sequence's k-mers, and how many other human miRNA loci do),
  which carries most of its accuracy. Conserved miRNAs and large families are also the long-known,
  well-studied ones: read that part like the study-bias baseline below, not as compartment-specific biology.
* *Network model* (only for the 1,041 network miRNAs): fuses sequence similarity, disease and drug associations
  and the target-mRNA network, in the spirit of GTMALoc; its probabilities for labelled miRNAs are
  out-of-fold (10-fold cross-validation), so they can be compared with the known labels honestly.
"""
)

st.subheader("Are the probabilities calibrated?")
st.caption("A calibrated 0.3 means about 30 % of such miRNAs carry the label. Each point is a bin of out-of-fold "
           "predictions; solid lines after calibration (click a legend entry to show the dotted 'before').")
for title, block in readme.calibration_blocks(ui.settings().results_dir):
    st.plotly_chart(plot.reliability_figure(block, title), key=f"reliability_{title[:8]}")

st.header("Benchmarks")
st.caption("Every table below is generated from `benchmarks/results/*.json` at page load — never typed by hand.")
tables = {table.source: table for table in explore.result_tables()}
if not tables:
    st.info("No benchmark results found in `benchmarks/results/` yet.")


def show(table, title: str) -> None:
    with st.expander(f"{title} — `{table.source}`", expanded=table.source == "summary.json"):
        st.dataframe(table.frame, hide_index=True, width="stretch", key=f"bench_{table.source}")
        if table.meta.get("command"):
            st.code(str(table.meta["command"]), language="bash")
        if table.details:
            st.caption(ui.md_escape(table.details))


for source, title in readme.SCIENCE.items():
    if source in tables:
        show(tables[source], title)

st.header("Baselines and known shortcuts of the data")
st.markdown(
    """
* **Study bias (seven compartments).** Well-studied miRNAs have more disease and drug associations *and* more
  localization labels. A score that only counts a miRNA's associations — no biology — already ranks compartments
  well above chance; the benchmarks report it as a baseline (look for `study_bias` in the tables above), and a model is
  only interesting by its margin over it.
* **Names (seven compartments).** A network miRNA's name alone — its miRBase number (≈ discovery order), hairpin
  vs mature, copy suffix — also ranks compartments well (look for `name_only`). Names are annotation, not input:
  the released network model uses none of them. It does use the conservation features of the sequence (other
  species and human loci sharing its k-mers), a study-age signal too; the shortcut grid (`grid` in the network
  table) shows what names, conservation, the graph transformer and the label profiles each carry.
* **Paralogs (seven compartments).** Among the conservation features, the count of other human loci sharing a
  miRNA's sequence is high for multi-copy genes (hsa-mir-1-1, hsa-mir-1-2): the copy-suffix entries, annotated
  apart from their umbrella entry, with fewer exosome and microvesicle labels. Both models' exosome and
  microvesicle bars for such a miRNA reflect that annotation: `without_paralog_features` in the network table and
  the conservation head's fresh shuffles in the sequence table show what these counts carry, per compartment. The
  length of the miRBase entry a network name maps to (the naming again) is not an input of the network model.
* **Length rule (binary).** In RNALoc-LM's data, precursors are mostly intracellular and mature miRNAs mostly
  extracellular, so "≤ 30 nt ⇒ extracellular" is a strong baseline (look for `length_rule` in the tables above).
* **Label sparsity.** Mitochondrion, nucleolus and microvesicle have few positives: their AUPRs are noisy.
* **Name mapping.** 95 of the 1,041 network names have no miRBase 22 sequence (retired or non-human names);
  family names (e.g. `hsa-let-7`) are represented by their first member.
"""
)

st.header("Released weights")
weights_dir = ui.settings().weights_dir
st.dataframe(pd.DataFrame(pretrained.released_parts(weights_dir)), hide_index=True, width="stretch",
             key="weights_table")
for part, card in pretrained.model_cards(weights_dir).items():
    with st.expander(f"Model card of the released `{part}` weights"):
        st.markdown(card)

st.header("Engineering")
st.caption("How the software behaves (speed, load, malformed input, GPU), apart from how good the science is.")
for source, title in readme.ENGINEERING.items():
    if source in tables:
        show(tables[source], title)
for source in sorted(set(tables) - set(readme.SCIENCE) - set(readme.ENGINEERING)):
    show(tables[source], tables[source].title)

st.header("Data provenance")
st.markdown(
    """
| data | source | used for |
|---|---|---|
| 1,041-miRNA network (labels, HMDD v3.2 diseases, ncDR drugs, target mRNAs) | PMiSLocMF (Chen et al. 2024), reused by GTMALoc (Huang et al. 2025) | network model, seven-compartment labels, explorer |
| RNALoc-LM miRNA training set (1,011 sequences) | RNALoc-LM (Zeng et al. 2025), from RNALocate | binary extracellular / intracellular model |
| miRBase release 22 | miRBase | sequences of network miRNAs, LM pretraining, the example |
| Known localization motifs; Ray et al. 2013 RNAcompete RBP motifs | literature cited by RNALoc-LM; Ray et al. 2013 | motif scans and matches |
| GTMALoc Table 5 case studies | Huang et al. 2025 | case-study page |

Shared data are read at run time and never copied into the repository; derived weights carry a manifest with the
sha256 of every file and of the data they were built from.
"""
)

st.header("How to cite")
st.markdown(
    """
If you use mirloc, please cite the two studies whose data and designs it builds on:

* **GTMALoc** — Huang et al. (2025). *GTMALoc: miRNA subcellular localization prediction via graph transformer
  and multi-head attention.* Code and data: github.com/27167199/GTMALoc.
* **RNALoc-LM** — Zeng et al. (2025). *RNALoc-LM: RNA subcellular localization prediction using a pre-trained
  RNA language model.* Bioinformatics. Code and data: github.com/CSUBioGroup/RNALoc-LM.

and, for the network data, PMiSLocMF (Chen et al. 2024).
"""
)

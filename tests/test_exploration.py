"""Tests of mirloc_core.explore on the REAL released network atlas and the shared data."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mirloc_core import explore, plot
from mirloc_core.config import COMPARTMENTS


@pytest.fixture(scope="module")
def atlas():
    from mirloc_core.pretrained import load_atlas

    return load_atlas()


def test_case_study_name_rule(network):
    names = network.names
    assert explore.case_study_name("miR-21", names) == "hsa-mir-21"
    assert explore.case_study_name("miR-146b-5p", names) == "hsa-mir-146b"
    assert explore.case_study_name("miR-142-3p", names) == "hsa-mir-142"
    assert explore.case_study_name("miR-340-5p", names) == "hsa-mir-340"
    assert explore.case_study_name("miR-48", names) is None  # a C. elegans miRNA
    assert explore.case_study_name("let-7", ["hsa-let-7"]) == "hsa-let-7"
    assert explore.case_study_name("miR-21", ["hsa-mir-21a"]) is None  # no fuzzy matching


def test_case_study_table_joins_atlas_probabilities(atlas, shared_data):
    from mirloc_core.io import data

    table = explore.case_study_table(atlas)
    assert len(table) == 35
    assert table["network_name"].isna().sum() == 2
    row = table[(table["mirna"] == "miR-21") & (table["compartment"] == "Exosome")].iloc[0]
    i = atlas.names.index("hsa-mir-21")
    assert row["probability"] == pytest.approx(atlas.probabilities[i, COMPARTMENTS.index("Exosome")])
    assert row["out_of_fold"] == bool(atlas.out_of_fold[i] and atlas.labelled[i])
    assert row["known"] == bool(atlas.labels[i, COMPARTMENTS.index("Exosome")])
    assert table["pubmed_url"].equals(data.load_case_studies()["pubmed_url"])
    matched = table[table["network_name"].notna()]
    assert matched["probability"].between(0, 1).all()


def test_compartment_table_and_description(atlas):
    labelled = atlas.names[int(np.flatnonzero(atlas.labelled)[0])]
    table = explore.compartment_table(atlas, labelled)
    assert list(table["compartment"]) == list(COMPARTMENTS)
    assert table["known"].isin([True, False]).all()
    assert "Known compartments" in explore.describe_prediction(atlas, labelled)
    unlabelled = atlas.names[int(np.flatnonzero(~atlas.labelled)[0])]
    assert explore.compartment_table(atlas, unlabelled)["known"].isna().all()
    assert "Unlabelled" in explore.describe_prediction(atlas, unlabelled)
    with pytest.raises(KeyError, match="not one of"):
        explore.compartment_table(atlas, "hsa-mir-nonexistent")


def test_neighbourhood_by_three_relations(atlas, network):
    from mirloc_core.features import networks

    seq, func = networks.sequence_similarity(), networks.functional_similarity()
    hood = explore.neighbourhood(atlas, "hsa-mir-21", k=5, network=network, seq_matrix=seq, func_matrix=func)
    assert hood.notices == []
    assert set(hood.table["relation"]) == {"sequence", "function", "embedding"}
    i = atlas.names.index("hsa-mir-21")
    for relation, group in hood.table.groupby("relation"):
        assert len(group) == 5 and "hsa-mir-21" not in set(group["name"])
        assert group["similarity"].is_monotonic_decreasing
    func_rows = hood.table[hood.table["relation"] == "function"]
    best = int(np.argsort(-np.where(np.arange(len(func)) == i, -np.inf, func[i]), kind="stable")[0])
    assert func_rows.iloc[0]["name"] == atlas.names[best]
    first = func_rows.iloc[0]
    j = atlas.names.index(first["name"])
    assert first["shared_diseases"] == int((network.disease[i] * network.disease[j]).sum())
    assert first["shared_drugs"] == int((network.drug[i] * network.drug[j]).sum())
    # without a precomputed matrix the sequence row is recomputed with the same formula
    row = explore.sequence_similarity_row(atlas, i)
    mapped = [bool(s) for s in atlas.sequences]
    assert np.allclose(row[mapped], seq[i][mapped], atol=1e-4)
    fig = plot.neighbour_graph(hood, atlas)
    assert fig.data[-1].name == "selected miRNA" and [a.text for a in fig.layout.annotations] == ["<b>hsa-mir-21</b>"]


def test_neighbourhood_without_data_says_what_is_missing(atlas):
    hood = explore.neighbourhood(atlas, "hsa-mir-21", k=4)
    assert set(hood.table["relation"]) == {"sequence", "embedding"}
    assert any("Functional similarity" in n for n in hood.notices)
    assert hood.table["shared_diseases"].isna().all()


def test_embedding_neighbours_are_cosine(atlas):
    i = atlas.names.index("hsa-mir-21")
    row = explore.embedding_similarity_row(atlas, i)
    assert row[i] == pytest.approx(1.0)
    assert np.all(row <= 1.0 + 1e-6)


def test_nearest_known_for_a_new_sequence(atlas):
    mir21_mature = "UAGCUUAUCAGACUGAUGUUGA"
    near = explore.nearest_known(mir21_mature, atlas, k=5)
    assert len(near) == 5 and near["similarity"].is_monotonic_decreasing
    assert near.iloc[0]["name"] == "hsa-mir-21"


def test_colocalization_profile(atlas, shared_data):
    from mirloc_core.io.data import load_published_features

    profile = explore.colocalization_profile("hsa-mir-21", atlas.names)
    i = atlas.names.index("hsa-mir-21")
    assert list(profile.index) == ["Cytoplasm", "Exosome", "Nucleolus", "Nucleus"]
    assert np.allclose(profile.to_numpy(), load_published_features()["coloc"][i])


def test_result_tables_are_generated_from_json(tmp_path):
    (tmp_path / "summary.json").write_text(json.dumps({"network_auc": 0.91, "app_cold_start_seconds": 3.2,
                                                               "fuzz_inputs": 10020}))
    (tmp_path / "network_cv.json").write_text(json.dumps({
        "command": "python -m mirloc_core benchmark network", "date": "2026-11-23",
        "models": {"ours": {"auc": {"mean": 0.9, "std": 0.01}, "aupr": {"mean": 0.8, "std": 0.02}},
                   "study_bias": {"auc": {"mean": 0.7, "std": 0.0}, "aupr": {"mean": 0.5, "std": 0.0}}},
        "folds": [1, 2, 3]}))
    (tmp_path / "broken.json").write_text("{not json")
    tables = explore.result_tables(tmp_path)
    assert [t.source for t in tables] == ["summary.json", "network_cv.json"]
    summary, cv = tables
    assert dict(zip(summary.frame["metric"], summary.frame["value"])) == {"network_auc": "0.91",
                                                                           "app_cold_start_seconds": "3.2",
                                                                           "fuzz_inputs": "10020"}
    assert list(cv.frame["result"]) == ["models.ours", "models.study_bias"]
    assert cv.frame.loc[0, "auc"] == "0.900 ± 0.010" and cv.frame.loc[1, "aupr"] == "0.500 ± 0.000"
    assert cv.meta["command"] == "python -m mirloc_core benchmark network"
    wide = {f"m{i}": i / 3 for i in range(12)}
    (tmp_path / "wide.json").write_text(json.dumps({"timing": wide, "other": {"x": 1}}))
    long = next(t for t in explore.result_tables(tmp_path) if t.source == "wide.json").frame
    assert list(long.columns) == ["section", "metric", "value"] and len(long) == 13
    assert long.loc[long["metric"] == "m1", "value"].item() == "0.3333"


def test_result_tables_read_the_real_results():
    for table in explore.result_tables():
        assert len(table.frame) > 0 and table.source.endswith(".json")


@pytest.mark.parametrize("query, name, relation", [
    ("hsa-miR-21-5p", "hsa-mir-21", "mature hsa-miR-21-5p"),
    ("miR-21-5p", "hsa-mir-21", "mature hsa-miR-21-5p"),
    ("MIMAT0000076", "hsa-mir-21", "MIMAT0000076 is mature hsa-miR-21-5p"),
    ("MI0000077", "hsa-mir-21", "MI0000077 is hsa-mir-21"),
    ("hsa-let-7a-5p", "hsa-let-7a", "mature hsa-let-7a-5p"),
    ("hsa-let-7a-1", "hsa-let-7a-1", "network miRNA"),  # a precursor copy stays itself, never the family node
    ("UAGCUUAUCAGACUGAUGUUGA", "hsa-mir-21", "identical to mature hsa-miR-21-5p"),
    ("uagcuuaucagacugauguugaaa", "hsa-mir-21", "most similar to hsa-mir-21"),
])
def test_resolve_query_names_accessions_and_sequences(atlas, shared_data, query, name, relation):
    found = explore.resolve_query(query, atlas)
    assert found.name == name and relation in found.relation


def test_resolve_query_says_why_nothing_matched(atlas, shared_data):
    found = explore.resolve_query("hsa-miR-99999", atlas)
    assert found.name is None and "matched no network miRNA" in found.relation
    assert explore.resolve_query("MIMAT9999999", atlas).name is None


def test_base_rates_and_neighbours_relative_to_them(atlas, network):
    rates = explore.base_rates(atlas)
    labelled = atlas.labels[atlas.labelled]
    np.testing.assert_allclose(rates, labelled.mean(axis=0))
    assert atlas.labelled.sum() == 901 and rates[COMPARTMENTS.index("Exosome")] > 0.9
    hood = explore.neighbourhood(atlas, "hsa-mir-21", k=15, network=network)
    row = hood.table.iloc[0]
    j = list(atlas.names).index(row["name"])
    lift = atlas.probabilities[j] / rates
    assert row["most_above_base"] == COMPARTMENTS[int(np.argmax(lift))]
    assert row["times_base_rate"] == pytest.approx(lift.max())
    assert row["known_labels"] == (", ".join(c for c, v in zip(COMPARTMENTS, atlas.labels[j]) if v)
                                   if atlas.labelled[j] else "unlabelled")
    assert explore.base_rate_leaders(rates)[0][0] == "Exosome"


def test_case_study_note_is_computed_from_the_base_rate(atlas, shared_data):
    table = explore.case_study_table(atlas)
    note = explore.case_study_note(atlas, table, "Nucleolus")
    rate = explore.base_rates(atlas)[COMPARTMENTS.index("Nucleolus")]
    scores = table.loc[table["compartment"] == "Nucleolus", "probability"]
    assert f"Only {round(rate * 901)} of the 901 labelled miRNAs ({rate:.0%}) carry nucleolus" in note
    assert f"{scores.min():.2f}–{scores.max():.2f}" in note
    assert explore.case_study_note(atlas, table, "Exosome") is None  # a common compartment needs no excuse
    assert table["times_base_rate"].dropna().to_numpy() == pytest.approx(
        [p / rates for p, rates in zip(table["probability"].dropna(),
                                       [explore.base_rates(atlas)[COMPARTMENTS.index(c)]
                                        for c in table.loc[table["probability"].notna(), "compartment"]])])

"""Loaders of the shared data: shapes, column order, the 901 labelled rows, the name → sequence mapping."""

from __future__ import annotations

import numpy as np
import pytest

from mirloc_core import config
from mirloc_core.io import data


def test_network_shapes(network):
    assert len(network.names) == 1041 and len(set(network.names)) == 1041
    assert network.labels.shape == (1041, 7)
    assert network.disease.shape == (1041, 640) and network.drug.shape == (1041, 130)
    assert network.mrna_localization.shape == (2836, 4)
    assert network.labelled.sum() == 901
    assert network.disease.sum() == 15547 and network.drug.sum() == 3305
    assert set(np.unique(network.labels)) <= {0.0, 1.0}


def test_label_column_order(network):
    # Column order is Cytoplasm, Exosome, Nucleolus, Nucleus, EV, Microvesicle, Mitochondrion:
    # exosome and microvesicle are the two most frequent, nucleolus the rarest (README / GTMALoc Table 1).
    assert config.COMPARTMENTS[1] == "Exosome" and config.COMPARTMENTS[5] == "Microvesicle"
    prevalence = network.labels[network.labelled].mean(0)
    assert set(np.argsort(-prevalence)[:2]) == {1, 5}
    assert int(np.argmin(prevalence)) == 2
    # unlabelled rows carry no labels
    assert network.labels[~network.labelled].sum() == 0


def test_published_features_shapes(shared_data):
    feats = data.load_published_features()
    dims = {"seq": 64, "disease": 128, "drug": 128, "mrna": 128, "coloc": 4,
            "gt_disease": 128, "gt_drug": 128, "gt_mrna": 128}
    assert {k: v.shape for k, v in feats.items()} == {k: (1041, d) for k, d in dims.items()}


def test_mapping_counts(name_map):
    counts = name_map["source"].value_counts().to_dict()
    assert counts == {"hairpin": 812, "mature": 69, "family": 65, "none": 95}
    assert list(name_map["name"]) == data.load_network().names
    assert (name_map.loc[name_map.source == "none", "sequence"] == "").all()
    assert set("".join(name_map["sequence"])) <= set("ACGU")
    row = name_map.set_index("name").loc["hsa-let-7"]
    assert row.source == "family" and "hsa-let-7a-1" in row.family_members.split(";")


def test_missing_data_raises_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("MIRLOC_DATA", str(tmp_path))
    with pytest.raises(config.DataMissingError, match="miRNA_ID_1041.txt"):
        data.load_network()

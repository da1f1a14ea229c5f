"""Tests of mirloc_core.plot: every figure of the package and the app (logos, 2D structure, neighbour graph,
compartment bars, attention track)."""

from __future__ import annotations

import ast
import types

import numpy as np
import pandas as pd
import pytest

from mirloc_core import plot, structure
from mirloc_core.config import COMPARTMENTS, PACKAGE_ROOT
from mirloc_core.explore import Neighbourhood
from mirloc_core.motifs import Motif, iupac_to_pwm

MIR21_PRECURSOR = "UGUCGGGUAGCUUAUCAGACUGAUGUUGACUGUUGAAUCUCAUGGCAACACCAGUCGAUGGGCUGUCUGACA"


@pytest.fixture
def close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def test_logo_figure_in_bits_and_probabilities(close_figures):
    pwm = iupac_to_pwm("AGUGUN")
    fig = plot.logo_figure(pwm, title="AGUGUN")
    ax = fig.axes[0]
    assert ax.get_ylim() == (0.0, 2.0) and ax.get_ylabel() == "bits" and ax.get_title() == "AGUGUN"
    assert list(ax.get_xticks()) == [1, 2, 3, 4, 5, 6]
    assert fig.get_size_inches() == pytest.approx((0.42 * 6 + 0.8, 1.6))
    # one glyph per letter and column; the fully specified columns are 2 bits tall, the N column ~0
    heights = {}
    for patch in ax.patches:
        extent = patch.get_extents().transformed(ax.transData.inverted())
        column = round((extent.x0 + extent.x1) / 2)
        heights[column] = heights.get(column, 0.0) + extent.height
    assert heights[1] == pytest.approx(2.0, abs=0.05) and heights.get(6, 0.0) < 0.05
    probs = plot.logo_figure(pwm, information=False, width=5.0, height=2.0)
    assert probs.axes[0].get_ylim() == (0.0, 1.0) and probs.axes[0].get_ylabel() == "prob."
    assert probs.get_size_inches() == pytest.approx((5.0, 2.0))


def test_save_logo_writes_a_png(tmp_path, close_figures):
    path = tmp_path / "logos" / "X.png"
    plot.save_logo(Motif("X", iupac_to_pwm("RCCUCCC")), path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_figure_2d_draws_the_fold():
    fold = structure.fold(MIR21_PRECURSOR)
    scores = np.random.default_rng(0).random(len(MIR21_PRECURSOR))
    fig = plot.figure_2d(fold, scores)
    backbone, pairs, markers = fig.data
    assert backbone.mode == "lines" and len(backbone.x) == len(MIR21_PRECURSOR)
    assert pairs.line.dash == "dot" and len(pairs.x) == 3 * len(fold.pairs)  # i, j, gap per base pair
    assert markers.mode == "markers+text" and list(markers.text) == list(MIR21_PRECURSOR)
    np.testing.assert_allclose(markers.marker.color, scores)
    assert markers.marker.showscale and markers.marker.colorbar.title.text == "attention"
    assert [a.text for a in fig.layout.annotations] == ["5'", "3'"]
    plain = plot.figure_2d(fold)
    assert plain.data[-1].marker.color == "#8ab4f8" and not plain.data[-1].marker.showscale
    with pytest.raises(ValueError):
        plot.figure_2d(fold, np.ones(3))


def test_neighbour_graph_one_node_per_mirna_one_trace_per_relation():
    names = [f"hsa-mir-{i}" for i in range(6)]
    probabilities = np.full((6, 7), 0.1)
    probabilities[np.arange(6), np.arange(6)] = 0.9  # miRNA i: top compartment i
    atlas = types.SimpleNamespace(names=names, probabilities=probabilities, labelled=np.array([True, False] * 3))
    table = pd.DataFrame({"relation": ["sequence", "sequence", "function", "embedding"],
                          "name": ["hsa-mir-1", "hsa-mir-2", "hsa-mir-1", "hsa-mir-5"],
                          "similarity": [0.9, 0.5, 0.4, 0.8]})
    fig = plot.neighbour_graph(Neighbourhood("hsa-mir-0", table, []), atlas)
    edges, nodes = fig.data[:-1], fig.data[-1]
    assert [t.name for t in edges] == ["by sequence", "by function", "by embedding"]
    assert [len(t.x) // 3 for t in edges] == [2, 1, 1]
    assert list(nodes.text) == ["mir-0", "mir-1", "mir-2", "mir-5"]
    assert (nodes.x[0], nodes.y[0]) == (0.0, 0.0) and list(nodes.marker.size) == [30, 18, 18, 18]
    assert list(nodes.marker.color) == ["#d93025", "#8ab4f8", "#8ab4f8", "#8ab4f8"]
    assert f"top: {COMPARTMENTS[1]} (0.90)" in nodes.hovertext[1] and "sequence, function" in nodes.hovertext[1]


def test_probability_figure_marks_the_threshold():
    probs = np.array([0.1, 0.6, 0.4996, 0.494, 0.9, 0.0, 0.3])  # 0.4996 shows as 0.50: called; 0.494 shows 0.49
    fig = plot.probability_figure(probs)
    bars = fig["data"][0]
    assert bars["customdata"] == list(COMPARTMENTS) and bars["y"] == pytest.approx(list(probs))
    assert bars["text"][2:4] == ["0.50", "0.49"]
    assert bars["marker"]["color"] == ["#aecbfa", "#1a73e8", "#1a73e8", "#aecbfa", "#1a73e8", "#aecbfa", "#aecbfa"]
    assert len(fig["data"]) == 1 and fig["layout"]["showlegend"] is False and fig["layout"]["height"] == 300
    assert fig["layout"]["shapes"][0]["y0"] == 0.5
    marked = plot.probability_figure(probs, {"sequence model": probs[::-1], "other": probs}, height=260,
                                     bar_label="network")
    assert [t["name"] for t in marked["data"]] == ["network", "sequence model", "other"]
    assert [t["marker"]["symbol"] for t in marked["data"][1:]] == ["diamond", "circle"]
    assert marked["data"][1]["y"] == pytest.approx(list(probs[::-1])) and marked["layout"]["showlegend"] is True


def test_attention_figure_highlights_positions_above_the_median():
    sequence = "ACGUACGUAC"
    attention = np.array([0.05, 0.2, 0.05, 0.1, 0.15, 0.05, 0.1, 0.1, 0.15, 0.05])
    hits = pd.DataFrame({"start": [2, 7], "end": [5, 9]})
    fig = plot.attention_figure(sequence, attention, hits)
    bars = fig.data[0]
    median = float(np.median(attention))
    assert list(bars.marker.color) == ["#d93025" if a > median else "#c6dafc" for a in attention]
    assert list(bars.customdata) == list(sequence) and list(fig.layout.xaxis.ticktext) == list(sequence)
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert [(r.x0, r.x1) for r in rects] == [(1.5, 5.5), (6.5, 9.5)]
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert len(lines) == 1 and lines[0].y0 == pytest.approx(median)
    long = plot.attention_figure("ACGU" * 40, np.ones(160), None, height=200)
    assert long.layout.xaxis.ticktext is None and long.layout.height == 200
    assert not [s for s in long.layout.shapes if s.type == "rect"]


def test_plot_module_does_not_import_streamlit():
    tree = ast.parse((PACKAGE_ROOT / "plot.py").read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert "streamlit" not in imported and "plotly" in imported


def test_markers_sit_beside_the_bars_and_base_rates_on_them():
    probs = np.full(7, 0.4)
    fig = plot.probability_figure(probs, {"sequence model": probs}, base_rates=np.full(7, 0.3))
    bars, diamonds, ticks = fig["data"]
    assert all(d - b > 0.3 for d, b in zip(diamonds["x"], bars["x"]))  # off the bar's centred value label
    assert ticks["x"] == bars["x"] and ticks["y"] == pytest.approx([0.3] * 7)
    assert ticks["name"].startswith("base rate") and fig["layout"]["showlegend"] is True

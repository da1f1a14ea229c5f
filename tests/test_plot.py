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
    shade = (scores - scores.min()) / np.ptp(scores)  # min → max, the 3D viewer's colours, no own colour bar
    np.testing.assert_allclose(markers.marker.color, shade)
    assert not markers.marker.showscale and markers.marker.colorscale[0][1] == structure.SCORE_COLOURS[0]
    assert [a.text for a in fig.layout.annotations] == ["5'", "3'"]
    xy = structure.layout_2d(fold.dot_bracket)  # RNApuzzler: no two bases closer than one backbone step
    distances = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)) + np.eye(len(xy)) * 1e9
    steps = np.hypot(*np.diff(xy, axis=0).T)
    assert distances.min() >= 0.9 * steps.mean() and np.ptp(xy[:, 0]) > np.ptp(xy[:, 1])  # stem horizontal
    assert xy[0, 0] < xy[:, 0].mean() and xy[-1, 0] < xy[:, 0].mean()  # 5' and 3' ends left, the loop right
    plain = plot.figure_2d(fold)
    assert plain.data[-1].marker.color == "#8ab4f8" and not plain.data[-1].marker.showscale
    matures = [{"name": "hsa-miR-21-5p", "start": 8, "end": 29}]
    marked = plot.figure_2d(fold, scores, matures=matures)
    outline = list(marked.data[2].marker.line.color)
    assert outline[7:29] == [structure.MATURE_COLOUR] * 22 and structure.MATURE_COLOUR not in outline[:7] + outline[29:]
    assert marked.data[-1].name == "mature hsa-miR-21-5p (8–29)" and marked.layout.showlegend
    assert "mature hsa-miR-21-5p" in marked.data[2].hovertext[7] and "mature" not in marked.data[2].hovertext[6]
    with pytest.raises(ValueError):
        plot.figure_2d(fold, np.ones(3))


def test_neighbour_graph_arranges_neighbours_by_relation_with_names_on_hover():
    names = [f"hsa-mir-{i}" for i in range(6)]
    table = pd.DataFrame({"relation": ["sequence", "sequence", "function", "embedding"], "rank": [1, 2, 1, 1],
                          "name": ["hsa-mir-1", "hsa-mir-2", "hsa-mir-1", "hsa-mir-5"],
                          "similarity": [0.9, 0.5, 0.4, 0.8], "known_labels": ["Exosome", "unlabelled", "Exosome", "x"],
                          "most_above_base": ["Nucleolus"] * 4, "times_base_rate": [3.0, 2.0, 3.0, 1.5]})
    atlas = types.SimpleNamespace(names=names)
    fig = plot.neighbour_graph(Neighbourhood("hsa-mir-0", table, []), atlas)
    nodes = [t for t in fig.data if t.mode == "markers"]
    assert [t.name for t in nodes] == ["by sequence (2)", "by function (1)", "by embedding (1)", "selected miRNA"]
    assert all(t.text is None for t in fig.data)  # no overlapping text labels: names on hover, the query annotated
    assert [a.text for a in fig.layout.annotations] == ["<b>hsa-mir-0</b>"]
    assert "hsa-mir-1" in nodes[0].hovertext[0] and "known: Exosome" in nodes[0].hovertext[0]
    assert "Nucleolus (3.0×)" in nodes[0].hovertext[0]
    radius = np.hypot(nodes[0].x, nodes[0].y)
    assert radius[0] < radius[1]  # the more similar neighbour is nearer the centre
    angles = [np.arctan2(t.y, t.x) for t in nodes[:3]]  # one sector per relation: no two relations share a spot
    points = np.concatenate([np.c_[t.x, t.y] for t in nodes[:3]])
    gaps = np.sqrt(((points[:, None] - points[None]) ** 2).sum(-1)) + np.eye(len(points)) * 9
    assert gaps.min() > 0.2 and len(angles) == 3


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


def test_attention_figure_is_relative_to_uniform():
    sequence = "ACGUACGUAC"
    attention = np.array([0.05, 0.2, 0.05, 0.1, 0.15, 0.05, 0.1, 0.1, 0.15, 0.05])
    hits = pd.DataFrame({"start": [2, 7], "end": [5, 9]})
    fig = plot.attention_figure(sequence, attention, hits)
    bars = fig.data[0]
    relative = attention / attention.mean()  # 1 = flat attention
    median = float(np.median(relative))
    assert list(bars.marker.color) == ["#d93025" if a > median else "#c6dafc" for a in relative]
    np.testing.assert_allclose(np.asarray(bars.y) + bars.base, relative)  # bars rise or drop from 1
    assert [c[0] for c in bars.customdata] == list(sequence) and list(fig.layout.xaxis.ticktext) == list(sequence)
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert [(r.x0, r.x1) for r in rects] == [(1.5, 5.5), (6.5, 9.5)]
    lines = sorted(s.y0 for s in fig.layout.shapes if s.type == "line")
    assert lines == pytest.approx(sorted([1.0, median])) and "uniform" in fig.layout.yaxis.title.text
    flat = plot.attention_figure("ACGU" * 10, np.full(40, 0.045) + np.linspace(-0.004, 0.004, 40))
    assert flat.layout.yaxis.range[0] > 0.8 and flat.layout.yaxis.range[1] < 1.2  # a near-flat track looks flat
    long = plot.attention_figure("ACGU" * 40, np.ones(160), None, height=200)
    assert long.layout.xaxis.ticktext is None and long.layout.height == 200
    assert not [s for s in long.layout.shapes if s.type == "rect"]


def test_aligned_logos_follow_the_tomtom_offset(close_figures):
    query, target = iupac_to_pwm("GUGUU"), iupac_to_pwm("AAGUGUUA")
    fig = plot.aligned_logo_figure(query, target, {"query_shift": 2, "target_shift": 0}, "derived", "RBP · ID")
    top, bottom = fig.axes
    assert top.get_xlim() == bottom.get_xlim() == (0.5, 8.5)
    assert top.get_title(loc="left") == "derived" and bottom.get_title(loc="left") == "RBP · ID"
    centres = sorted({round((p.get_extents().transformed(top.transData.inverted()).x0
                             + p.get_extents().transformed(top.transData.inverted()).x1) / 2) for p in top.patches})
    assert centres == [3, 4, 5, 6, 7]  # query columns 1-5 sit on target columns 3-7


def test_score_legend_is_one_strip_for_both_views():
    legend = plot.score_legend("attention")
    assert legend["data"][0]["type"] == "heatmap"
    assert [c for _, c in legend["data"][0]["colorscale"]] == list(structure.SCORE_COLOURS)
    assert any("mature" in a["text"] for a in legend["layout"]["annotations"])
    plain = plot.score_legend("attention", matures=False)
    assert not any("mature" in a["text"] for a in plain["layout"]["annotations"])


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

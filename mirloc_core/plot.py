"""Every figure of the package and the app: plotly figures for the app's pages and logomaker sequence logos.

Figures only (no computation beyond laying out what they are given), and no Streamlit: the pages call these
functions and hand the figures to ``st.plotly_chart`` / ``st.pyplot``; the motif build saves logos with
:func:`save_logo`. plotly, matplotlib and logomaker are imported inside the functions, so importing this
module stays cheap.

logo_figure, save_logo
    A sequence logo of a PWM (matplotlib Figure) and its PNG (motif artefacts, the Motifs page).
figure_2d
    The 2D layout of a secondary structure, nucleotides coloured by a score (the Structure page).
neighbour_graph
    A network miRNA and its neighbours, one colour per relation (the Network explorer).
probability_figure
    The seven compartment probabilities with the 0.5 threshold (the Predict page, the Network explorer).
attention_figure
    Attention over nucleotides with the positions above the median and motif hits (the Motifs page).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mirloc_core.config import CALL_THRESHOLD, COMPARTMENTS, DISPLAY_DECIMALS, is_called
from mirloc_core.structure import layout_2d, normalise_scores


def logo_figure(pwm: np.ndarray, title: str | None = None, information: bool = True, width: float | None = None,
                height: float = 1.6):
    """A sequence logo of a PWM (logomaker), as a matplotlib Figure.

    Parameters
    ----------
    pwm : ndarray, shape (width, 4)
        Probabilities in ACGU order.
    title : str, optional
    information : bool
        Letter heights in bits (information content) when True, probabilities otherwise.
    """
    import logomaker
    import matplotlib
    import pandas as pd

    from mirloc_core.motifs.pwm import ALPHABET

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    probs = pd.DataFrame(np.asarray(pwm, dtype=np.float64), columns=list(ALPHABET))
    if information:
        frame = logomaker.transform_matrix(probs + 1e-6, from_type="probability", to_type="information")
    else:
        frame = probs
    frame.index = np.arange(1, len(frame) + 1)
    fig, ax = plt.subplots(figsize=(width or max(2.0, 0.42 * len(frame) + 0.8), height))
    logomaker.Logo(frame, ax=ax, color_scheme="classic", font_name="DejaVu Sans")
    ax.set_ylim(0, 2 if information else 1)
    ax.set_ylabel("bits" if information else "prob.")
    ax.set_xticks(list(frame.index))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def save_logo(motif, path: Path) -> None:
    """Render :func:`logo_figure` of a motif (a :class:`~mirloc_core.motifs.pwm.Motif`) to a PNG (80 dpi)."""
    import matplotlib.pyplot as plt

    fig = logo_figure(motif.pwm, title=f"{motif.id} {motif.consensus}")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def figure_2d(structure: Fold, scores=None, score_name: str = "attention"):
    """A plotly drawing of the 2D layout: backbone, base pairs (dashed) and nucleotides coloured by score.

    Parameters
    ----------
    structure : mirloc_core.structure.Fold
    scores : array-like of shape (L,), optional
        Per-nucleotide values used for the colour scale (e.g. attention); none → a single colour.
    score_name : str
        Name of the score for the colour bar and hover text.
    """
    import plotly.graph_objects as go

    xy = layout_2d(structure.dot_bracket)
    values = normalise_scores(scores, len(structure.sequence))
    pairs = structure.pairs
    partner = {i: j for i, j in pairs} | {j: i for i, j in pairs}
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="lines", line=dict(color="#9aa0a6", width=2),
                             hoverinfo="skip", showlegend=False))
    px, py = [], []
    for i, j in pairs:
        px += [xy[i, 0], xy[j, 0], None]
        py += [xy[i, 1], xy[j, 1], None]
    if px:
        fig.add_trace(go.Scatter(x=px, y=py, mode="lines", line=dict(color="#5f6368", width=1.5, dash="dot"),
                                 hoverinfo="skip", showlegend=False, name="base pairs"))
    hover = [
        f"{pos + 1} {base}<br>{score_name}: {val:.3f}<br>"
        + (f"paired with {partner[pos] + 1}" if pos in partner else "unpaired")
        for pos, (base, val) in enumerate(zip(structure.sequence, values))
    ]
    marker = dict(size=17, line=dict(color="#3c4043", width=1))
    if scores is not None:
        marker.update(color=values, colorscale="YlOrRd", showscale=True,
                      colorbar=dict(title=dict(text=score_name), thickness=12))
    else:
        marker.update(color="#8ab4f8")
    fig.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers+text", text=list(structure.sequence),
                             textfont=dict(size=9, color="#202124"), marker=marker, hovertext=hover,
                             hoverinfo="text", showlegend=False))
    for pos, label in ((0, "5'"), (len(xy) - 1, "3'")):
        fig.add_annotation(x=xy[pos, 0], y=xy[pos, 1], text=label, showarrow=True, arrowhead=0, ax=-18, ay=-18,
                           font=dict(size=12, color="#1a73e8"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1)
    fig.update_layout(height=520, margin=dict(l=10, r=10, t=10, b=10), plot_bgcolor="white")
    return fig


def neighbour_graph(hood, atlas):
    """An interactive plotly graph: the query in the centre, its neighbours around it, one colour per relation.

    A neighbour found by several relations appears once, joined by one edge per relation; edge width grows
    with similarity. Hover shows each miRNA's top predicted compartment.

    Parameters
    ----------
    hood : mirloc_core.explore.Neighbourhood
    atlas : mirloc_core.pretrained.NetworkAtlas
    """
    import plotly.graph_objects as go

    colours = {"sequence": "#1a73e8", "function": "#188038", "embedding": "#e37400"}
    others = list(dict.fromkeys(hood.table["name"]))
    angles = np.linspace(0, 2 * np.pi, num=max(len(others), 1), endpoint=False)
    pos = {hood.name: (0.0, 0.0)} | {n: (float(np.cos(a)), float(np.sin(a))) for n, a in zip(others, angles)}
    fig = go.Figure()
    for relation, group in hood.table.groupby("relation", sort=False):
        xs, ys = [], []
        for other in group["name"]:
            x0, y0 = pos[hood.name]
            x1, y1 = pos[other]
            xs += [x0, x1, None]
            ys += [y0, y1, None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=f"by {relation}", hoverinfo="skip",
                                 line=dict(color=colours.get(relation, "#5f6368"), width=2), opacity=0.6))
    top = np.argmax(atlas.probabilities, axis=1)
    index = {n: i for i, n in enumerate(atlas.names)}
    labels, hover, sizes, colors = [], [], [], []
    for n in [hood.name] + others:
        i = index[n]
        relations = ", ".join(hood.table.loc[hood.table["name"] == n, "relation"]) or "query"
        labels.append(n.replace("hsa-", ""))
        hover.append(f"{n}<br>top: {COMPARTMENTS[int(top[i])]} ({atlas.probabilities[i, top[i]]:.2f})"
                     f"<br>{'labelled' if atlas.labelled[i] else 'unlabelled'}<br>{relations}")
        sizes.append(30 if n == hood.name else 18)
        colors.append("#d93025" if n == hood.name else "#8ab4f8")
    fig.add_trace(go.Scatter(x=[pos[n][0] for n in [hood.name] + others], y=[pos[n][1] for n in [hood.name] + others],
                             mode="markers+text", text=labels, textposition="top center", hovertext=hover,
                             hoverinfo="text", marker=dict(size=sizes, color=colors, line=dict(color="white", width=1)),
                             showlegend=False))
    fig.update_xaxes(visible=False, range=[-1.4, 1.4])
    fig.update_yaxes(visible=False, range=[-1.3, 1.35], scaleanchor="x", scaleratio=1)
    fig.update_layout(height=520, margin=dict(l=10, r=10, t=30, b=10), plot_bgcolor="white",
                      legend=dict(orientation="h", y=1.05, x=0))
    return fig


def attention_track(sequence: str, attention, hits=None, height: int = 110) -> dict:
    """A compact per-nucleotide attention track: the sequence as letters, each cell coloured by attention relative
    to uniform (1 = every position weighted alike), known-motif hits marked by a bar above (a plotly figure dict).

    Parameters
    ----------
    sequence : str
    attention : array-like (len,), sums to 1
    hits : DataFrame, optional
        Known-motif hits with 1-based ``start``, ``end`` and ``motif_name`` (:func:`mirloc_core.motifs.scan_known_motifs`).
    """
    relative = np.asarray(attention, dtype=float) * len(sequence)
    positions = list(range(1, len(sequence) + 1))
    top = float(max(2.0, relative.max()))
    data = [{"type": "heatmap", "x": positions, "y": [0], "z": [relative.tolist()], "zmin": 0.0, "zmax": top,
             "colorscale": [[0.0, "#ffffff"], [1.0 / top, "#fde7e9"], [1.0, "#c5221f"]],
             "colorbar": {"title": {"text": "× uniform"}, "thickness": 10, "len": 1.0},
             "text": [list(sequence)], "texttemplate": "%{text}", "textfont": {"size": 11},
             "hovertemplate": "position %{x}: %{text}, attention %{z:.2f} × uniform<extra></extra>",
             "xgap": 1}]
    shapes = []
    for hit in ([] if hits is None else hits.itertuples(index=False)):
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": hit.start - 0.5, "x1": hit.end + 0.5,
                       "y0": 1.02, "y1": 1.12, "fillcolor": "#f9ab00", "line": {"width": 0}})
    if hits is not None and len(hits):
        data.append({"type": "scatter", "x": [None], "y": [None], "mode": "markers", "name": "known-motif hit",
                     "marker": {"symbol": "square", "color": "#f9ab00", "size": 10}})
    layout = {"height": height, "margin": {"l": 10, "r": 10, "t": 22, "b": 20}, "plot_bgcolor": "white",
              "xaxis": {"showgrid": False, "tickmode": "array", "tickvals": [1, *range(5, len(sequence) + 1, 5)]},
              "yaxis": {"visible": False}, "shapes": shapes, "showlegend": bool(hits is not None and len(hits)),
              "legend": {"orientation": "h", "y": 1.4, "x": 0}}
    return {"data": data, "layout": layout}


TICK_NAMES = {"Extracellular vesicle": "Extracellular<br>vesicle", "Microvesicle": "Micro-<br>vesicle",
              "Mitochondrion": "Mito-<br>chondrion"}
"""Compartment names broken over two lines under the bars."""


def probability_figure(probabilities, markers: dict | None = None, height: int = 300,
                       bar_label: str = "prediction", base_rates=None) -> dict:
    """Bar chart of the seven compartment probabilities with the call threshold marked (a plotly figure dict).

    Built as a plain dict (not ``go.Figure``): Streamlit validates the figure once anyway, and skipping a second
    validation keeps ten charts cheap to build.

    Parameters
    ----------
    probabilities : array-like (7,)
    markers : dict, optional
        ``label -> (7,) probabilities`` drawn as markers over the bars (e.g. the sequence model).
    bar_label : str
        Legend name of the bars (shown when there are markers).
    base_rates : array-like (7,), optional
        The training prevalence of each compartment, drawn as a black tick on each bar: what any miRNA gets.
    """
    probs = [float(p) for p in np.asarray(probabilities, dtype=float)]
    names = list(COMPARTMENTS)
    x = list(range(len(names)))  # numeric positions: markers sit beside the bars, never on their labels
    data = [{"type": "bar", "x": x, "y": probs, "name": bar_label, "customdata": names, "width": 0.6,
             "marker": {"color": ["#1a73e8" if is_called(p) else "#aecbfa" for p in probs]},
             "text": [f"{p:.{DISPLAY_DECIMALS}f}" for p in probs], "textposition": "outside", "cliponaxis": False,
             "hovertemplate": "%{customdata}: %{y:.3f}<extra></extra>"}]
    symbols = ["diamond", "circle", "square"]
    for n, (label, values) in enumerate((markers or {}).items()):
        data.append({"type": "scatter", "x": [i + 0.38 for i in x], "customdata": names,
                     "y": [float(v) for v in np.asarray(values, dtype=float)], "mode": "markers", "name": label,
                     "marker": {"symbol": symbols[n % 3], "size": 9, "color": "#e37400",
                                "line": {"color": "white", "width": 1}},
                     "hovertemplate": f"{label} %{{customdata}}: %{{y:.3f}}<extra></extra>"})
    if base_rates is not None and np.isfinite(np.asarray(base_rates, dtype=float)).all():
        data.append({"type": "scatter", "x": x, "y": [float(v) for v in np.asarray(base_rates, dtype=float)],
                     "customdata": names, "mode": "markers", "name": "base rate (training prevalence)",
                     "marker": {"symbol": "line-ew", "size": 30, "color": "#202124", "line": {"color": "#202124",
                                                                                          "width": 2}},
                     "hovertemplate": "base rate %{customdata}: %{y:.2f}<extra></extra>"})
    show_legend = len(data) > 1
    layout = {
        "height": height + (40 if show_legend else 0), "margin": {"l": 10, "r": 75, "t": 20, "b": 10},
        "plot_bgcolor": "white", "bargap": 0.3,
        "yaxis": {"range": [0, 1.15], "title": {"text": "probability"}, "gridcolor": "#e8eaed"},
        "xaxis": {"tickmode": "array", "tickvals": x, "ticktext": [TICK_NAMES.get(n, n) for n in names],
                  "tickangle": 0, "tickfont": {"size": 10}, "range": [-0.6, len(names) - 0.4]},
        "showlegend": show_legend,
        "legend": {"orientation": "h", "y": -0.28, "x": 0, "yanchor": "top", "font": {"size": 10}},
        "shapes": [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": CALL_THRESHOLD,
                    "y1": CALL_THRESHOLD, "line": {"color": "#d93025", "dash": "dash", "width": 2}}],
        "annotations": [{"xref": "paper", "x": 1.0, "xanchor": "left", "yref": "y", "y": CALL_THRESHOLD,
                         "yanchor": "middle", "text": f"threshold {CALL_THRESHOLD}", "showarrow": False,
                         "font": {"color": "#d93025", "size": 11}}],
    }
    return {"data": data, "layout": layout}


def attention_figure(sequence: str, attention, hits=None, height: int = 280):
    """Attention over nucleotides; positions above the median highlighted (RNALoc-LM's rule); motif hits shaded."""
    import plotly.graph_objects as go

    att = np.asarray(attention, dtype=float)
    median = float(np.median(att))
    positions = np.arange(1, len(sequence) + 1)
    colors = ["#d93025" if a > median else "#c6dafc" for a in att]
    fig = go.Figure(go.Bar(x=positions, y=att, marker_color=colors,
                           customdata=list(sequence), hovertemplate="%{x} %{customdata}: %{y:.4f}<extra></extra>"))
    fig.add_hline(y=median, line_dash="dot", line_color="#5f6368", annotation_text="median",
                  annotation_position="top left")
    if hits is not None and len(hits):
        for hit in hits.itertuples(index=False):
            fig.add_vrect(x0=float(hit.start) - 0.5, x1=float(hit.end) + 0.5, fillcolor="#fbbc04", opacity=0.18,
                          line_width=0)
    tick = list(sequence) if len(sequence) <= 120 else None
    fig.update_xaxes(tickmode="array" if tick else "auto", tickvals=list(positions) if tick else None,
                     ticktext=tick, tickangle=0, tickfont=dict(size=10 if len(sequence) < 60 else 7))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=20, b=10), yaxis=dict(title="attention"),
                      plot_bgcolor="white", showlegend=False, bargap=0.05)
    return fig

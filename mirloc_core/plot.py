"""Every figure of the package and the app: plotly figures for the app's pages and logomaker sequence logos.

Figures only (no computation beyond laying out what they are given), and no Streamlit: the pages call these
functions and hand the figures to ``st.plotly_chart`` / ``st.pyplot``; the motif build saves logos with
:func:`save_logo`. plotly, matplotlib and logomaker are imported inside the functions, so importing this
module stays cheap.

logo_figure, save_logo
    A sequence logo of a PWM (matplotlib Figure) and its PNG (motif artefacts, the Motifs page).
figure_2d, score_legend
    The 2D layout of a secondary structure, nucleotides coloured by a score and matures outlined, and the one
    colour legend shared with the 3D view (the Structure page).
neighbour_graph
    A network miRNA and its neighbours arranged by relation, names on hover (the Network explorer).
probability_figure
    The seven compartment probabilities with the 0.5 threshold (the Predict page, the Network explorer).
attention_figure
    Attention over nucleotides relative to uniform, positions above the median and motif hits (the Motifs page).
aligned_logo_figure
    A derived motif's logo with its matched known motif's logo aligned under it (the Motifs page).
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


def _score_colourscale():
    from mirloc_core.structure import SCORE_COLOURS

    return [[i / (len(SCORE_COLOURS) - 1), c] for i, c in enumerate(SCORE_COLOURS)]


def figure_2d(structure: Fold, scores=None, score_name: str = "attention", matures=()):
    """A plotly drawing of the 2D layout (RNApuzzler, long axis horizontal): backbone, base pairs (dotted),
    nucleotides coloured by score min → max with the colours of the 3D view (no colour bar: the page shows one
    legend, :func:`score_legend`, for both views), mature miRNAs outlined (one legend entry each).

    Parameters
    ----------
    structure : mirloc_core.structure.Fold
    scores : array-like of shape (L,), optional
        Per-nucleotide values used for the colour scale (e.g. attention); none → a single colour.
    score_name : str
        Name of the score for the hover text.
    matures : list of dict
        :func:`mirloc_core.structure.mature_sites` (``name``, ``start``, ``end``, 1-based inclusive).
    """
    import plotly.graph_objects as go

    from mirloc_core.structure import MATURE_COLOUR

    xy = layout_2d(structure.dot_bracket)
    values = normalise_scores(scores, len(structure.sequence))
    span = float(np.ptp(values)) if len(values) else 0.0
    shade = (values - values.min()) / span if span > 0 else np.zeros_like(values)
    pairs = structure.pairs
    partner = {i: j for i, j in pairs} | {j: i for i, j in pairs}
    in_mature = {i - 1: site["name"] for site in matures for i in range(site["start"], site["end"] + 1)}
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
    hover = [f"{pos + 1} {base}<br>{score_name}: {val:.3f}<br>"
             + (f"paired with {partner[pos] + 1}" if pos in partner else "unpaired")
             + (f"<br>mature {in_mature[pos]}" if pos in in_mature else "")
             for pos, (base, val) in enumerate(zip(structure.sequence, values))]
    outline = [MATURE_COLOUR if pos in in_mature else "#3c4043" for pos in range(len(xy))]
    widths = [3.5 if pos in in_mature else 1 for pos in range(len(xy))]
    marker = dict(size=21, line=dict(color=outline, width=widths))
    if scores is not None:
        marker.update(color=shade, colorscale=_score_colourscale(), cmin=0, cmax=1, showscale=False)
    else:
        marker.update(color="#8ab4f8")
    fig.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers+text", text=list(structure.sequence),
                             textfont=dict(size=11, color="#202124"), marker=marker, hovertext=hover,
                             hoverinfo="text", showlegend=False))
    for site in matures:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=f"mature {site['name']} "
                                 f"({site['start']}–{site['end']})",
                                 marker=dict(size=14, color="white", line=dict(color=MATURE_COLOUR, width=3.5))))
    for pos, label in ((0, "5'"), (len(xy) - 1, "3'")):
        fig.add_annotation(x=xy[pos, 0], y=xy[pos, 1], text=label, showarrow=True, arrowhead=0, ax=-18, ay=-18,
                           font=dict(size=12, color="#1a73e8"))
    extent = np.ptp(xy, axis=0) if len(xy) > 1 else np.array([1.0, 1.0])
    height = int(np.clip(950 * (extent[1] + 40) / max(extent[0] + 40, 1.0), 260, 700))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1)
    fig.update_layout(height=height + 40, margin=dict(l=10, r=10, t=40, b=10), plot_bgcolor="white",
                      showlegend=bool(matures), legend=dict(orientation="h", y=1.02, x=0, yanchor="bottom"))
    return fig


def score_legend(score_name: str = "attention", matures: bool = True) -> dict:
    """The one colour legend of the Structure page's 2D and 3D views (a plotly figure dict): the score scale,
    lowest to highest within the sequence, and the mature-miRNA mark."""
    from mirloc_core.structure import MATURE_COLOUR

    data = [{"type": "heatmap", "z": [list(np.linspace(0, 1, 60))], "colorscale": _score_colourscale(),
             "showscale": False, "hoverinfo": "skip", "x": list(np.linspace(0, 1, 60)), "y": [0]}]
    annotations = [{"x": 0, "y": 0.75, "xref": "x", "yref": "y", "text": f"lowest {score_name}", "showarrow": False,
                    "xanchor": "left", "yanchor": "bottom", "font": {"size": 12}},
                   {"x": 1, "y": 0.75, "xref": "x", "yref": "y", "text": f"highest {score_name}",
                    "showarrow": False, "xanchor": "right", "yanchor": "bottom", "font": {"size": 12}}]
    if matures:
        annotations.append({"xref": "paper", "x": 1.02, "yref": "paper", "y": 0.3, "xanchor": "left",
                            "showarrow": False, "font": {"size": 12, "color": MATURE_COLOUR},
                            "text": "<b>purple outline (2D) / thick purple backbone (3D)</b>: mature miRNA"})
    layout = {"height": 80, "margin": {"l": 10, "r": 420 if matures else 10, "t": 5, "b": 5},
              "xaxis": {"visible": False, "range": [-0.01, 1.01]}, "yaxis": {"visible": False, "range": [-0.5, 1.6]},
              "annotations": annotations, "plot_bgcolor": "white"}
    return {"data": data, "layout": layout}


def neighbour_graph(hood, atlas):
    """The query in the centre and its neighbours arranged by relation: one sector and one colour per relation
    (sequence, function, embedding), more similar neighbours closer to the centre.

    Names are shown on hover (with similarity, known labels and the compartment most above its base rate), never
    as overlapping text; the legend names the relations. A neighbour found by several relations appears in each
    of their sectors.

    Parameters
    ----------
    hood : mirloc_core.explore.Neighbourhood
    atlas : mirloc_core.pretrained.NetworkAtlas
    """
    import plotly.graph_objects as go

    colours = {"sequence": "#1a73e8", "function": "#188038", "embedding": "#e37400"}
    groups = list(hood.table.groupby("relation", sort=False))
    fig = go.Figure()
    width = 2 * np.pi / max(len(groups), 1)
    for g, (relation, group) in enumerate(groups):
        n = len(group)
        angles = g * width + width * (np.arange(n) + 0.5) / max(n, 1) + np.pi / 2
        radius = 0.45 + 0.55 * np.arange(n) / max(n - 1, 1)
        xs, ys = radius * np.cos(angles), radius * np.sin(angles)
        colour = colours.get(relation, "#5f6368")
        edge_x = [v for x in xs for v in (0.0, float(x), None)]
        edge_y = [v for y in ys for v in (0.0, float(y), None)]
        fig.add_trace(go.Scatter(x=edge_x, y=edge_y, mode="lines", hoverinfo="skip", showlegend=False,
                                 line=dict(color=colour, width=1), opacity=0.35, legendgroup=relation))
        hover = [f"<b>{row.name}</b><br>{relation} similarity {row.similarity:.3f} (rank {row.rank})"
                 f"<br>known: {row.known_labels}<br>most above base rate: {row.most_above_base} "
                 f"({row.times_base_rate:.1f}×)" for row in group.itertuples(index=False)]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", name=f"by {relation} ({n})", hovertext=hover,
                                 hoverinfo="text", legendgroup=relation,
                                 marker=dict(size=13, color=colour, line=dict(color="white", width=1))))
    fig.add_trace(go.Scatter(x=[0.0], y=[0.0], mode="markers", name="selected miRNA", hoverinfo="text",
                             hovertext=[hood.name], marker=dict(size=16, color="#d93025")))
    fig.add_annotation(x=0.0, y=0.0, text=f"<b>{hood.name}</b>", showarrow=False, yshift=22, bgcolor="white",
                       bordercolor="#d93025", borderwidth=1, font=dict(size=12, color="#202124"))
    fig.update_xaxes(visible=False, range=[-1.15, 1.15])
    fig.update_yaxes(visible=False, range=[-1.15, 1.15], scaleanchor="x", scaleratio=1)
    fig.update_layout(height=520, margin=dict(l=10, r=10, t=40, b=10), plot_bgcolor="white",
                      legend=dict(orientation="h", y=1.08, x=0), hoverlabel=dict(align="left"))
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
    """Attention over nucleotides relative to uniform (1 = flat attention; bars rise or drop from 1), the
    positions above the median highlighted (RNALoc-LM's rule) and known-motif hits shaded; the same scale as
    the "Important segments" table."""
    import plotly.graph_objects as go

    from mirloc_core.motifs.compare import relative_attention

    att = relative_attention(attention)
    median = float(np.median(att))
    positions = np.arange(1, len(sequence) + 1)
    colors = ["#d93025" if a > median else "#c6dafc" for a in att]
    fig = go.Figure(go.Bar(x=positions, y=att - 1.0, base=1.0, marker_color=colors,
                           customdata=np.column_stack([list(sequence), np.round(att, 3)]),
                           hovertemplate="%{x} %{customdata[0]}: %{customdata[1]}× uniform<extra></extra>"))
    fig.add_hline(y=1.0, line_color="#202124", line_width=1.5, annotation_text="1 = flat (uniform)",
                  annotation_position="top left")
    fig.add_hline(y=median, line_dash="dot", line_color="#5f6368", annotation_text="median",
                  annotation_position="bottom left")
    if hits is not None and len(hits):
        for hit in hits.itertuples(index=False):
            fig.add_vrect(x0=float(hit.start) - 0.5, x1=float(hit.end) + 0.5, fillcolor="#fbbc04", opacity=0.18,
                          line_width=0)
    tick = list(sequence) if len(sequence) <= 120 else None
    fig.update_xaxes(tickmode="array" if tick else "auto", tickvals=list(positions) if tick else None,
                     ticktext=tick, tickangle=0, tickfont=dict(size=10 if len(sequence) < 60 else 7))
    low, high = float(att.min()), float(att.max())
    span = max(high - low, 0.02)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=20, b=10), plot_bgcolor="white", showlegend=False,
                      bargap=0.05, yaxis=dict(title="attention ÷ uniform", range=[min(low, 1.0) - 0.15 * span,
                                                                                 max(high, 1.0) + 0.15 * span]))
    return fig


def aligned_logo_figure(query_pwm, target_pwm, alignment: dict, query_title: str, target_title: str):
    """Two sequence logos on one column axis: the derived motif on top, the matched known motif under it,
    shifted by TOMTOM's offset (``alignment`` from :func:`mirloc_core.motifs.known_match_alignment`)."""
    import logomaker
    import matplotlib
    import pandas as pd

    from mirloc_core.motifs.pwm import ALPHABET

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    q, t = np.asarray(query_pwm, dtype=float), np.asarray(target_pwm, dtype=float)
    total = max(alignment["query_shift"] + len(q), alignment["target_shift"] + len(t))
    fig, axes = plt.subplots(2, 1, figsize=(max(2.6, 0.42 * total + 0.9), 3.1), sharex=True)
    for ax, pwm, shift, title in ((axes[0], q, alignment["query_shift"], query_title),
                                  (axes[1], t, alignment["target_shift"], target_title)):
        probs = pd.DataFrame(pwm, columns=list(ALPHABET))
        frame = logomaker.transform_matrix(probs + 1e-6, from_type="probability", to_type="information")
        frame.index = np.arange(shift + 1, shift + len(frame) + 1)
        logomaker.Logo(frame, ax=ax, color_scheme="classic", font_name="DejaVu Sans")
        ax.set_xlim(0.5, total + 0.5)
        ax.set_ylim(0, 2)
        ax.set_ylabel("bits")
        ax.set_title(title, fontsize=9, loc="left")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    axes[1].set_xticks(list(range(1, total + 1)))
    axes[1].set_xlabel("aligned column (TOMTOM offset, forward strand)")
    fig.tight_layout()
    return fig


def reliability_figure(calibration: dict, title: str = "", height: int = 360) -> dict:
    """Reliability diagram: per compartment, the observed share of positives against the mean predicted
    probability in each bin, before and after calibration (from the benchmark JSON's ``calibration`` block,
    ``per_compartment[c][before|after]["reliability"]``). The diagonal is perfect calibration."""
    colours = ["#1a73e8", "#e37400", "#188038", "#d93025", "#9334e6", "#12b5cb", "#5f6368"]
    data = [{"type": "scatter", "x": [0, 1], "y": [0, 1], "mode": "lines", "name": "perfectly calibrated",
             "line": {"color": "#bdc1c6", "dash": "dot"}, "hoverinfo": "skip"}]
    for colour, (name, parts) in zip(colours, calibration["per_compartment"].items()):
        for stage, dash in (("before", "dot"), ("after", "solid")):
            bins = [b for b in parts[stage]["reliability"] if b["n"] > 0]
            data.append({"type": "scatter", "x": [b["mean_probability"] for b in bins],
                         "y": [b["observed"] for b in bins], "mode": "lines+markers",
                         "name": f"{name} ({stage})", "legendgroup": name, "visible": True if stage == "after"
                         else "legendonly", "line": {"color": colour, "dash": dash},
                         "customdata": [b["n"] for b in bins],
                         "hovertemplate": f"{name} {stage}: predicted %{{x:.2f}}, observed %{{y:.2f}} "
                                          "(n = %{customdata})<extra></extra>"})
    layout = {"height": height, "title": {"text": title}, "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
              "xaxis": {"title": {"text": "predicted probability"}, "range": [0, 1]},
              "yaxis": {"title": {"text": "observed share labelled"}, "range": [0, 1]},
              "plot_bgcolor": "white", "legend": {"font": {"size": 10}}}
    return {"data": data, "layout": layout}

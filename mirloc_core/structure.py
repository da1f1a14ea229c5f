"""Secondary structure of a miRNA and a coarse-grained 3D *model* of that fold, for display.

What this module computes
-------------------------
fold
    The ViennaRNA minimum-free-energy (MFE) secondary structure: dot-bracket and free energy.
layout_2d
    ViennaRNA's RNApuzzler 2D layout of the fold (no overlapping bases), long axis horizontal;
    :func:`mirloc_core.plot.figure_2d` draws it, nucleotides coloured by a per-nucleotide score (e.g. attention).
mature_sites
    Where the human miRBase mature miRNAs lie in a sequence (marked in both views).
coarse_grained_pdb
    A coarse-grained 3D model of the fold written as PDB text: **one pseudo-atom per nucleotide** (named
    ``P``), placed by a simple geometric rule, not predicted by any tertiary-structure method:

    * the 2D naview layout is the scaffold, scaled so that stacked base pairs are 2.8 Å apart (A-form rise);
    * every helix (a run of stacked pairs) is wound around its axis as an A-form-like double helix: radius
      9 Å, 32.7° twist per base pair, right-handed, the partner strand offset by 150° (a minor groove);
    * unpaired stretches between two placed nucleotides lie on a circular arc with 5.9 Å between
      consecutive pseudo-atoms (the typical P–P distance), bulging away from the fold as in the 2D layout;
      dangling 5'/3' ends follow the 2D layout.

    B-factors carry the per-nucleotide score scaled min–max to 0–100 so that viewers can colour by it; ``CONECT``
    records join the backbone and the base pairs. The file says in its ``REMARK`` lines that it is a model.
viewer_html
    A self-contained HTML page showing that PDB in 3Dmol.js. The 3Dmol.js library is served from the copy
    vendored in ``mirloc_core/assets/3dmol/`` (npm package ``3dmol``, BSD-3-Clause; see
    ``scripts/vendor_3dmol.sh``) and inlined in the page, so the view works offline — never from a CDN.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ASSET_DIR = Path(__file__).resolve().parent / "assets" / "3dmol"
THREEDMOL_JS = ASSET_DIR / "3Dmol-min.js"

RISE = 2.8          # Å between stacked base pairs (A-form)
TWIST = math.radians(32.7)
RADIUS = 9.0        # Å, phosphate radius of an A-form helix
PARTNER_OFFSET = math.radians(150.0)
STEP = 5.9          # Å between consecutive pseudo-atoms in loops (P–P distance)


@dataclass(frozen=True)
class Fold:
    """An MFE secondary structure.

    Attributes
    ----------
    sequence : str
        The RNA sequence (ACGU).
    dot_bracket : str
        The structure in dot-bracket notation.
    mfe : float
        Minimum free energy, kcal/mol.
    """

    sequence: str
    dot_bracket: str
    mfe: float

    @property
    def pairs(self) -> list[tuple[int, int]]:
        """Base pairs as 0-based ``(i, j)`` with ``i < j``."""
        return pairs_from_dot_bracket(self.dot_bracket)


def pairs_from_dot_bracket(dot_bracket: str) -> list[tuple[int, int]]:
    """Base pairs ``(i, j)`` (0-based, ``i < j``) of a dot-bracket string; ``ValueError`` if unbalanced."""
    stack: list[int] = []
    pairs = []
    for pos, char in enumerate(dot_bracket):
        if char == "(":
            stack.append(pos)
        elif char == ")":
            if not stack:
                raise ValueError(f"unbalanced dot-bracket at position {pos + 1}")
            pairs.append((stack.pop(), pos))
        elif char != ".":
            raise ValueError(f"unexpected character {char!r} in dot-bracket")
    if stack:
        raise ValueError("unbalanced dot-bracket: unclosed '('")
    return sorted(pairs)


@functools.lru_cache(maxsize=256)
def fold(sequence: str) -> Fold:
    """Fold an RNA sequence with ViennaRNA (``RNA.fold``, default Turner 2004 parameters at 37 °C)."""
    import RNA

    sequence = sequence.upper().replace("T", "U")
    dot_bracket, mfe = RNA.fold(sequence)
    return Fold(sequence, dot_bracket, round(float(mfe), 2))


def _xy(coords, length: int) -> np.ndarray:
    get = coords.get if hasattr(coords, "get") else coords.__getitem__
    return np.array([(get(i).X, get(i).Y) for i in range(length)], dtype=np.float64)


def layout_2d(dot_bracket: str, horizontal: bool = True) -> np.ndarray:
    """The 2D layout of a structure, shape ``(L, 2)``, in ViennaRNA's units (25 per backbone step).

    ViennaRNA's RNApuzzler layout (``RNA.get_xy_coordinates`` with ``rna_plot_type`` = puzzler, restored
    afterwards): loops drawn as circles and no two nucleotides closer than one backbone step, unlike naview,
    which squeezes the bases of a long hairpin's loop together. Falls back to the simple layout. With
    ``horizontal`` the drawing is rotated so that its long axis (e.g. a hairpin's stem) runs left to right.
    """
    import RNA

    previous = RNA.cvar.rna_plot_type
    try:
        RNA.cvar.rna_plot_type = RNA.PLOT_TYPE_PUZZLER
        xy = _xy(RNA.get_xy_coordinates(dot_bracket), len(dot_bracket))
    finally:
        RNA.cvar.rna_plot_type = previous
    if not np.isfinite(xy).all():
        xy = _xy(RNA.simple_xy_coordinates(dot_bracket), len(dot_bracket))
    if horizontal and len(xy) > 2:
        centred = xy - xy.mean(axis=0)
        _, _, axes = np.linalg.svd(centred, full_matrices=False)
        xy = centred @ axes.T
        if xy[0, 0] > xy[:, 0].mean():  # 5' end on the left (a hairpin's loop on the right)
            xy[:, 0] *= -1
    return xy


def naview_layout(dot_bracket: str) -> np.ndarray:
    """The naview layout (ViennaRNA), the scaffold of the coarse-grained 3D model; simple layout on failure."""
    import RNA

    xy = _xy(RNA.naview_xy_coordinates(dot_bracket), len(dot_bracket))
    if not np.isfinite(xy).all():  # naview can fail on tiny structures
        xy = _xy(RNA.simple_xy_coordinates(dot_bracket), len(dot_bracket))
    return xy


MATURE_COLOUR = "#7b1fa2"
"""Outline (2D) and backbone (3D) colour of the mature miRNA positions."""
SCORE_COLOURS = ("#f1f3f4", "#fbbc04", "#d93025")
"""Low → high score colours, shared by the 2D drawing, the 3D viewer and their one legend."""


def mature_sites(sequence: str, root=None) -> list[dict]:
    """Human miRBase 22 mature miRNAs contained in ``sequence``: ``name``, ``start``, ``end`` (1-based,
    inclusive). A miRBase hairpin gets its own matures; a pasted sequence whatever matures it contains (a mature
    miRNA itself: the whole sequence). Empty without the shared data."""
    from mirloc_core.config import DataMissingError
    from mirloc_core.io.data import load_mirbase

    try:
        matures = load_mirbase("mature", "hsa", root)
    except (DataMissingError, OSError):
        return []
    sequence = sequence.upper().replace("T", "U")
    sites = []
    for name, mature in matures.items():
        start = sequence.find(mature)
        if start >= 0:
            sites.append({"name": name, "start": start + 1, "end": start + len(mature)})
    return sorted(sites, key=lambda site: (site["start"], site["name"]))


def normalise_scores(scores, length: int) -> np.ndarray:
    """Per-nucleotide scores as a float array of ``length`` (zeros when ``None``); ValueError on another length."""
    if scores is None:
        return np.zeros(length)
    arr = np.asarray(scores, dtype=np.float64).reshape(-1)
    if arr.shape[0] != length:
        raise ValueError(f"{arr.shape[0]} scores for a sequence of {length} nt")
    return arr


def _stems(pairs: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Group base pairs into helices: maximal runs of stacked pairs ``(i, j), (i+1, j-1), …``."""
    pair_set = set(pairs)
    stems = []
    for i, j in pairs:
        if (i - 1, j + 1) in pair_set:
            continue
        stem = [(i, j)]
        while (stem[-1][0] + 1, stem[-1][1] - 1) in pair_set and stem[-1][0] + 1 < stem[-1][1] - 1:
            stem.append((stem[-1][0] + 1, stem[-1][1] - 1))
        stems.append(stem)
    return stems


def _unit(vector: np.ndarray) -> np.ndarray | None:
    norm = np.linalg.norm(vector)
    return vector / norm if norm > 1e-9 else None


def _arc(start: np.ndarray, end: np.ndarray, count: int, bulge: np.ndarray) -> np.ndarray:
    """``count`` points on a circular arc from ``start`` to ``end`` bulging towards ``bulge``, ≈ STEP apart."""
    chord_vec = end - start
    chord = float(np.linalg.norm(chord_vec))
    length = (count + 1) * STEP
    fractions = np.arange(1, count + 1) / (count + 1)
    if chord < 1e-6:
        e_x = np.array([1.0, 0.0, 0.0])
    else:
        e_x = chord_vec / chord
    e_y = _unit(bulge - np.dot(bulge, e_x) * e_x)
    if e_y is None:
        e_y = _unit(np.cross(e_x, [0.0, 0.0, 1.0]))
        if e_y is None:
            e_y = np.array([0.0, 1.0, 0.0])
    if length <= chord * 1.02:
        return start + np.outer(fractions, chord_vec)
    ratio = max(chord, 1e-6) / length  # sin(theta) / theta, solve for theta in (0, pi)
    lo, hi = 1e-6, math.pi - 1e-6
    for _ in range(60):
        mid = (lo + hi) / 2
        if math.sin(mid) / mid > ratio:
            lo = mid
        else:
            hi = mid
    theta = (lo + hi) / 2
    radius = max(chord, 1e-6) / (2 * math.sin(theta))
    centre = (start + end) / 2 - e_y * radius * math.cos(theta)
    angles = (math.pi / 2 + theta) - 2 * theta * fractions
    return centre + radius * (np.outer(np.cos(angles), e_x) + np.outer(np.sin(angles), e_y))


def coarse_grained_coordinates(dot_bracket: str) -> np.ndarray:
    """3D pseudo-atom coordinates (Å), shape ``(L, 3)``, for the coarse-grained model described above."""
    length = len(dot_bracket)
    xy = naview_layout(dot_bracket)
    pairs = pairs_from_dot_bracket(dot_bracket)
    stems = _stems(pairs)
    stacked = [np.linalg.norm((xy[i] + xy[j]) / 2 - (xy[i + 1] + xy[j - 1]) / 2)
               for stem in stems for (i, j) in stem[:-1]]
    steps = np.linalg.norm(np.diff(xy, axis=0), axis=1) if length > 1 else np.array([1.0])
    unit = float(np.median(stacked)) if stacked else float(np.median(steps)) or 1.0
    scale = (RISE if stacked else STEP) / (unit or 1.0)
    flat = np.column_stack([xy * scale, np.zeros(length)])
    coords = np.full((length, 3), np.nan)
    z_axis = np.array([0.0, 0.0, 1.0])
    for stem in stems:
        mids = np.array([(flat[i] + flat[j]) / 2 for i, j in stem])
        i0, j0 = stem[0]
        axis = _unit(mids[-1] - mids[0]) if len(stem) > 1 else None
        if axis is None:
            axis = _unit(np.cross(flat[j0] - flat[i0], z_axis))
        if axis is None:
            axis = np.array([1.0, 0.0, 0.0])
        normal = _unit((flat[i0] - mids[0]) - np.dot(flat[i0] - mids[0], axis) * axis)
        if normal is None:
            normal = _unit(np.cross(z_axis, axis))
        binormal = np.cross(axis, normal)
        for k, (i, j) in enumerate(stem):
            centre = mids[0] + axis * RISE * k
            theta = TWIST * k
            coords[i] = centre + RADIUS * (math.cos(theta) * normal + math.sin(theta) * binormal)
            phi = theta + PARTNER_OFFSET
            coords[j] = centre + RADIUS * (math.cos(phi) * normal + math.sin(phi) * binormal)
    placed = ~np.isnan(coords[:, 0])
    if not placed.any():
        return flat
    pos = 0
    while pos < length:
        if placed[pos]:
            pos += 1
            continue
        end = pos
        while end < length and not placed[end]:
            end += 1
        run = np.arange(pos, end)
        before, after = pos - 1, end
        if before >= 0 and after < length:
            anchor_mid = (flat[before] + flat[after]) / 2
            bulge = flat[run].mean(axis=0) - anchor_mid
            if _unit(bulge) is None:
                bulge = (coords[before] + coords[after]) / 2 - anchor_mid
            coords[run] = _arc(coords[before], coords[after], len(run), bulge)
        else:  # a dangling end: follow the 2D layout from its anchor, at loop spacing
            anchor = before if before >= 0 else after
            stretch = STEP / max(scale * float(np.median(steps)), 1e-6)
            coords[run] = coords[anchor] + (flat[run] - flat[anchor]) * stretch
        pos = end
    return coords - coords.mean(axis=0)


def coarse_grained_pdb(structure: Fold, scores=None, title: str = "mirloc coarse-grained model") -> str:
    """PDB text of the coarse-grained 3D model of ``structure`` (one pseudo-atom ``P`` per nucleotide).

    Parameters
    ----------
    structure : Fold
    scores : array-like of shape (L,), optional
        Per-nucleotide values written to the B-factor column, scaled min–max to 0–100 (so that a viewer's
        colour scale spans the sequence's own range).
    title : str
        Written to a ``REMARK`` line (only ASCII letters, digits, spaces and ``.,_-`` are kept).

    Returns
    -------
    str
        PDB text with ``REMARK``, ``ATOM``, ``CONECT`` and ``END`` records.
    """
    coords = coarse_grained_coordinates(structure.dot_bracket)
    values = normalise_scores(scores, len(structure.sequence))
    spread = float(values.max() - values.min()) if values.size else 0.0
    if scores is None or spread <= 0:
        bfactors = np.zeros(len(values))
    else:
        bfactors = np.clip(100.0 * (values - values.min()) / spread, 0.0, 100.0)
    safe_title = "".join(ch for ch in title if ch.isascii() and (ch.isalnum() or ch in " .,_-"))[:60]
    lines = [
        f"REMARK   1 {safe_title}",
        "REMARK   2 COARSE-GRAINED MODEL, NOT A PREDICTED TERTIARY STRUCTURE: one pseudo-atom per",
        "REMARK   2 nucleotide; helices of the ViennaRNA MFE fold on an A-form-like helix, loops on arcs.",
        f"REMARK   3 DOT-BRACKET {structure.dot_bracket[:56]}",
        f"REMARK   4 MFE {structure.mfe:.2f} KCAL/MOL; B-FACTOR = SCORE SCALED MIN-MAX TO 0-100",
    ]
    for idx, (base, (x, y, z), bfac) in enumerate(zip(structure.sequence, coords, bfactors), start=1):
        lines.append(
            f"ATOM  {idx:5d}  P   {base:>3s} A{idx:4d}    {x:8.3f}{y:8.3f}{z:8.3f}{1.0:6.2f}{bfac:6.2f}"
            f"           P  "
        )
    lines.append(f"TER   {len(coords) + 1:5d}      {structure.sequence[-1]:>3s} A{len(coords):4d}")
    bonds: dict[int, list[int]] = {}
    for a in range(1, len(coords)):
        bonds.setdefault(a, []).append(a + 1)
    for i, j in structure.pairs:
        bonds.setdefault(i + 1, []).append(j + 1)
    for atom, partners in sorted(bonds.items()):
        for start in range(0, len(partners), 4):
            lines.append("CONECT" + f"{atom:5d}" + "".join(f"{p:5d}" for p in partners[start:start + 4]))
    lines.append("END")
    return "\n".join(lines) + "\n"


@functools.lru_cache(maxsize=1)
def threedmol_js() -> str:
    """The vendored 3Dmol.js library (minified), read from ``mirloc_core/assets/3dmol/``."""
    if not THREEDMOL_JS.is_file():
        raise FileNotFoundError(f"3Dmol.js not found at {THREEDMOL_JS}; run scripts/vendor_3dmol.sh")
    return THREEDMOL_JS.read_text(encoding="utf-8")


def viewer_html(pdb_text: str, height: int = 460, color_by_score: bool = True, matures=()) -> str:
    """A self-contained HTML page rendering ``pdb_text`` with the vendored 3Dmol.js (no network access).

    Spheres and sticks; coloured by B-factor (the score) from white to red when ``color_by_score``, else
    by nucleotide; the residues of ``matures`` (:func:`mature_sites`) get a thick backbone in
    :data:`MATURE_COLOUR`. The PDB text is embedded as a JSON string literal with ``<`` escaped, so it cannot close
    the script element.
    """
    pdb_literal = json.dumps(pdb_text).replace("<", "\\u003c").replace(">", "\\u003e")
    if color_by_score:
        scheme = ("{prop: 'b', gradient: 'linear', min: 0, max: 100, colors: "
                  + json.dumps(list(SCORE_COLOURS)).replace('"', "'") + "}")
        style = f"{{sphere: {{radius: 1.7, colorscheme: {scheme}}}, stick: {{radius: 0.45, colorscheme: {scheme}}}}}"
    else:
        style = ("{sphere: {radius: 1.7, colorscheme: {prop: 'resn', map: {A: '#34a853', C: '#4285f4', "
                 "G: '#fbbc04', U: '#ea4335'}}}, stick: {radius: 0.45, color: '#9aa0a6'}}")
    residues = sorted({i for site in matures for i in range(int(site["start"]), int(site["end"]) + 1)})
    mature_style = ""
    if residues and color_by_score:
        mature_style = (f"viewer.setStyle({{resi: {json.dumps(residues)}}}, {{sphere: {{radius: 1.7, colorscheme: "
                        f"{scheme}}}, stick: {{radius: 0.9, color: '{MATURE_COLOUR}'}}}});")
    js = threedmol_js()
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><style>html,body{{margin:0;padding:0;background:#fff;}}
#viewer{{width:100%;height:{int(height)}px;position:relative;}}</style></head>
<body><div id="viewer"></div>
<script>{js}</script>
<script>
(function() {{
  var pdb = {pdb_literal};
  var viewer = $3Dmol.createViewer(document.getElementById('viewer'), {{backgroundColor: 'white'}});
  viewer.addModel(pdb, 'pdb');
  viewer.setStyle({{}}, {style});
  {mature_style}
  viewer.zoomTo();
  viewer.render();
  window.__mirlocViewerReady = true;
}})();
</script></body></html>"""

"""Seqlets → PWMs: seeded, discriminative k-mer clustering (:func:`cluster_seqlets`)."""

from __future__ import annotations

import numpy as np

from mirloc_core.motifs.pwm import (ALPHABET, MIN_WIDTH, Motif, information_content, pwm_consensus,
                                    pwm_from_sites)
from mirloc_core.motifs.scan import encode
from mirloc_core.motifs.seqlets import Seqlet


def _kmer_codes(codes: np.ndarray, k: int) -> np.ndarray:
    """Integer code of each k-mer start (−1 where the window contains a non-ACGU letter)."""
    if len(codes) < k:
        return np.zeros(0, dtype=np.int64)
    win = np.lib.stride_tricks.sliding_window_view(codes, k)
    vals = (win * (4 ** np.arange(k - 1, -1, -1))).sum(axis=1)
    vals[(win > 3).any(axis=1)] = -1
    return vals


def _decode_kmer(code: int, k: int) -> str:
    return "".join(ALPHABET[(code >> (2 * (k - 1 - i))) & 3] for i in range(k))


def cluster_seqlets(seqlets: list[Seqlet], sequences: dict[str, str], k: int = 6, max_motifs: int = 4,
                    min_sites: int = 5, flank: int = 3, max_evalue: float = 1.0, id_prefix: str = "ATT",
                    label: str = "", rule: str = "median") -> list[Motif]:
    """Cluster seqlets into PWMs by seeded, discriminative k-mer clustering.

    Foreground: k-mer windows lying inside a seqlet; background: the k-mer windows of the same sequences
    outside every seqlet (so the test asks what the attention prefers *within* the sequences it reads). The
    k-mer with the smallest one-sided hypergeometric p-value (at least ``min_sites`` foreground sites) seeds a
    cluster; its members are the foreground windows within Hamming distance 1 of the seed. Members are
    aligned on the seed, widened by ``flank`` columns each side from the sequence, turned into a PWM, and
    low-information edge columns (< 0.25 bit) are trimmed to no less than 6 columns. Member windows are then
    removed from the foreground and background and the next seed is chosen, until ``max_motifs`` motifs or
    until the seed's E-value (p × 4^k k-mers tested) exceeds ``max_evalue``.

    Why not TF-MoDISco-lite: attention is one scalar per position (no per-base hypothetical contributions,
    which MoDISco's seqlet similarity is built on), and its default windows (21 nt + flanks of 10) are wider
    than a 22-nt mature miRNA; a seed-and-extend clustering of the seqlets, with an explicit enrichment test,
    suits a few hundred short sequences.

    Returns
    -------
    list of Motif
        ``source="attention"``, ``evalue`` = seed E-value; ``info`` holds the seed, its counts, p-value,
        the numbers of member sites, seqlets and sequences, and the rule.
    """
    from scipy.stats import hypergeom

    by_seq: dict[str, list[Seqlet]] = {}
    for s in seqlets:
        by_seq.setdefault(s.seq_id, []).append(s)
    ids = [sid for sid in sequences if sid in by_seq]
    if not ids:
        return []
    kmers = {sid: _kmer_codes(encode(sequences[sid]), k) for sid in ids}
    fg = {sid: _inside_seqlets(len(kmers[sid]), by_seq[sid], k) for sid in ids}
    active = {sid: kmers[sid] >= 0 for sid in ids}
    n_kmers = 4 ** k
    motifs: list[Motif] = []
    for m in range(max_motifs):
        fg_counts, all_counts = _kmer_counts(ids, kmers, active, fg, n_kmers)
        n_fg = int(fg_counts.sum())
        n_all = int(all_counts.sum())
        if n_fg == 0 or n_fg == n_all:
            break
        cand = np.flatnonzero(fg_counts >= min_sites)
        if len(cand) == 0:
            break
        pvals = hypergeom.sf(fg_counts[cand] - 1, n_all, all_counts[cand], n_fg)
        order = np.lexsort((-fg_counts[cand], pvals))
        best = int(cand[order[0]])
        pbest = float(pvals[order[0]])
        evalue = pbest * n_kmers
        if evalue > max_evalue and motifs:
            break
        sites, member_seqs, member_seqlets = _member_sites(ids, sequences, kmers, active, fg, by_seq,
                                                           _hamming_neighbours(best, k), k, flank)
        pwm = pwm_from_sites(sites, pseudocount=0.0)
        lo, hi = _trimmed_columns(pwm, flank)
        seed = _decode_kmer(best, k)
        motifs.append(Motif(f"{id_prefix}{m + 1}", pwm[lo:hi], pwm_consensus(pwm[lo:hi]), "attention", label,
                            len(sites), evalue,
                            {"rule": rule, "seed": seed, "seed_foreground": int(fg_counts[best]),
                             "seed_background": int(all_counts[best] - fg_counts[best]),
                             "foreground_windows": n_fg, "background_windows": n_all - n_fg,
                             "seed_p_value": pbest, "n_sites": len(sites), "n_seqlets": int(member_seqlets),
                             "n_sequences": len(member_seqs)}))
    return motifs


def _inside_seqlets(n_windows: int, seqlets: list[Seqlet], k: int) -> np.ndarray:
    """Which of a sequence's ``n_windows`` k-mer windows lie inside one of its seqlets (the foreground)."""
    inside = np.zeros(n_windows, dtype=bool)
    for s in seqlets:
        inside[s.start:max(s.start, s.end - k + 1)] = True
    return inside


def _kmer_counts(ids: list[str], kmers: dict, active: dict, fg: dict, n_kmers: int) -> tuple[np.ndarray, np.ndarray]:
    """Foreground and all (foreground + background) counts of every k-mer over the still-active windows."""
    fg_counts = np.zeros(n_kmers, dtype=np.int64)
    all_counts = np.zeros(n_kmers, dtype=np.int64)
    for sid in ids:
        keep = active[sid]
        np.add.at(all_counts, kmers[sid][keep], 1)
        np.add.at(fg_counts, kmers[sid][keep & fg[sid]], 1)
    return fg_counts, all_counts


def _hamming_neighbours(best: int, k: int) -> np.ndarray:
    """Codes of the k-mer ``best`` and of every k-mer one substitution away from it (sorted)."""
    shifts = 4 ** np.arange(k - 1, -1, -1)
    digits = np.array([(best // shifts[i]) % 4 for i in range(k)])
    neighbours = {best}
    for i in range(k):
        for b in range(4):
            if b != digits[i]:
                neighbours.add(int(best + (b - digits[i]) * shifts[i]))
    return np.array(sorted(neighbours))


def _member_sites(ids: list[str], sequences: dict[str, str], kmers: dict, active: dict, fg: dict, by_seq: dict,
                  neighbours: np.ndarray, k: int, flank: int) -> tuple[list[str], set, int]:
    """The seed cluster's member windows, widened by ``flank`` (``-`` past the sequence ends).

    Deactivates the windows overlapping each member (in ``active``, in place) and returns the sites, the
    member sequences and the number of seqlets holding a member.
    """
    sites, member_seqs, member_seqlets = [], set(), 0
    for sid in ids:
        hit = np.flatnonzero(active[sid] & fg[sid] & np.isin(kmers[sid], neighbours))
        if len(hit) == 0:
            continue
        seq = sequences[sid].upper().replace("T", "U")
        for pos in hit:
            left = seq[max(0, pos - flank):pos].rjust(flank, "-")
            right = seq[pos + k:pos + k + flank].ljust(flank, "-")
            sites.append(left + seq[pos:pos + k] + right)
            active[sid][max(0, pos - k + 1):pos + k] = False
        member_seqs.add(sid)
        member_seqlets += sum(1 for s in by_seq[sid] if any(s.start <= p < s.end for p in hit))
    return sites, member_seqs, member_seqlets


def _trimmed_columns(pwm: np.ndarray, flank: int) -> tuple[int, int]:
    """Columns ``lo:hi`` kept after trimming low-information (< 0.25 bit) flank columns, to no less than 6."""
    ic = information_content(pwm)
    lo, hi = 0, len(pwm)
    while hi - lo > MIN_WIDTH and ic[lo] < 0.25 and lo < flank:
        lo += 1
    while hi - lo > MIN_WIDTH and ic[hi - 1] < 0.25 and (len(pwm) - hi) < flank:
        hi -= 1
    return lo, hi

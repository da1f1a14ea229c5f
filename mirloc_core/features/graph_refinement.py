"""Graph-transformer refinement of node features: the unsupervised training loop of GTMALoc's graph transformer.

The model (:class:`~mirloc_core.models.graph.GraphTransformer`) and its loss
(:func:`~mirloc_core.models.graph.reconstruction_loss`, Eq. 11) are defined in :mod:`mirloc_core.models.graph`;
this module fits one on a graph and returns the refined node features. No labels are used, so the result is a
feature (computed once on all 1,041 network miRNAs, cached by :mod:`mirloc_core.features.network_inputs`).
"""

from __future__ import annotations

import numpy as np
import torch

from mirloc_core.config import get_device
from mirloc_core.models.graph import GraphTransformer, reconstruction_loss, sample_negative_edges


def train_graph_transformer(features: np.ndarray, edge_index: np.ndarray, dim: int = 128, layers: int = 2,
                            heads: int = 4, epochs: int = 100, lr: float = 2e-3, negatives: int = 1,
                            seed: int = 0, device=None, return_history: bool = False):
    """Fit a :class:`GraphTransformer` on one graph with the reconstruction loss (no labels).

    Parameters
    ----------
    features : ndarray, shape (N, F)
        Input node features (e.g. node2vec), standardised inside.
    edge_index : ndarray, shape (2, E)
        Graph edges (both directions).
    negatives : int
        Negative samples per positive edge.

    Returns
    -------
    ndarray, shape (N, dim)
        L2-normalised refined node features (and the loss history when ``return_history``).
    """
    device = device if isinstance(device, torch.device) else get_device(device)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    x = np.asarray(features, dtype=np.float32)
    x = (x - x.mean(0)) / (x.std(0) + 1e-6)
    x_t = torch.from_numpy(x).to(device)
    edges = torch.as_tensor(np.asarray(edge_index), dtype=torch.long, device=device)
    model = GraphTransformer(x.shape[1], dim, layers, heads).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for _ in range(epochs):
        model.train()
        opt.zero_grad()
        z = model(x_t, edges)
        neg = sample_negative_edges(edges, x.shape[0], negatives * edges.shape[1], gen)
        loss = reconstruction_loss(z, edges, neg)
        loss.backward()
        opt.step()
        history.append(float(loss.detach()))
    model.eval()
    with torch.no_grad():
        out = model(x_t, edges).cpu().numpy()
    return (out, history) if return_history else out

"""mirloc: where in the cell does this microRNA go?

The core package (no Streamlit): data loaders, sequence input, networks and embeddings, the network and
sequence models, training and benchmarks, prediction, motif analysis and network explore.
"""

from mirloc_core.config import COMPARTMENTS, COMPARTMENT_KEYS, data_dir, get_device, weights_dir
from mirloc_core.io.fasta import InputError, SequenceRecord, parse_fasta

__all__ = [
    "COMPARTMENTS",
    "COMPARTMENT_KEYS",
    "InputError",
    "SequenceRecord",
    "data_dir",
    "get_device",
    "parse_fasta",
    "weights_dir",
]
__version__ = "0.1.0"

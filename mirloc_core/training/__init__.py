"""mirloc_core.training."""

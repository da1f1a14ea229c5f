"""mirloc_core.features."""

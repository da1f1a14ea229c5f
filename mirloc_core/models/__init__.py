"""mirloc_core.models."""

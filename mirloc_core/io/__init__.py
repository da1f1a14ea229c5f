"""mirloc_core.io."""

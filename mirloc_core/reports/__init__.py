"""mirloc_core.reports."""

"""Taxonomies: the evaluation taxonomy (slice axes and rules), the data taxonomy, catalog and mapping rules."""

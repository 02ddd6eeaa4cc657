"""Planning: a weakness-targeted sampling plan (mixture weights) and its exports."""

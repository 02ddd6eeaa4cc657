"""Demo evaluation logs (synthetic, templated); see README.md here and generate.py."""

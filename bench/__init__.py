"""Load benchmark of the catalogue pages; see README.md. Not part of the shop."""

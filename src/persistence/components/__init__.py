"""Everything a backup captures, one module per kind of source."""

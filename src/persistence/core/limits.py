"""Bounds shared by the settings and the command-line flags that override them."""

# A century: long enough for any retention rule, short enough for datetime arithmetic.
MAX_DAYS = 36_500

"""Running a command: the one wrapper (paths, lock, leftovers, run log, typed result)."""

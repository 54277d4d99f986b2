"""Read-only views of backups: what one holds (ls) and what changed between two (diff)."""

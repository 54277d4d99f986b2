"""restore-backup: plan, save the current state aside, then put a backup back in place."""

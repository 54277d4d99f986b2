"""Backups on a remote: push, list, pull, verify and prune, on top of `persistence.remote`."""

"""Helpers shared by every test folder: one definition each (the CLI, tree digests, settings)."""

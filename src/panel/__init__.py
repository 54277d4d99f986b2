"""The backup panel's building blocks: each draws one part of a page and calls the service."""

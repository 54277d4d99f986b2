"""Back up, verify and restore the app's state: `uv run scripts/backup.py --help`."""

from persistence.cli import main

if __name__ == "__main__":
    main()

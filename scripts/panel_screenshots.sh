#!/usr/bin/env bash
# Regenerates the tracked docs/panel.png from the browser test. Plain `uv run pytest` writes its
# screenshot under pytest's tmp_path instead, so test runs never rewrite tracked files.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKUP_WRITE_SCREENSHOTS=1 uv run pytest tests/panel/test_browser.py -m browser -q "$@"
git status --short docs/panel.png

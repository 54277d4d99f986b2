"""copy_and_hash's kernel copy at its edges: platforms without it and real write errors."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from persistence.core.fsio import CHUNK_SIZE, copy_and_hash


def test_a_platform_without_copy_file_range_copies_through_the_buffer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """macOS and Windows (both scheduled by this tool) have no os.copy_file_range."""
    monkeypatch.delattr(os, "copy_file_range", raising=False)
    data = os.urandom(2 * CHUNK_SIZE + 5)
    (tmp_path / "source.bin").write_bytes(data)
    copied = copy_and_hash(tmp_path / "source.bin", tmp_path / "copy.bin")
    assert (tmp_path / "copy.bin").read_bytes() == data
    assert copied.sha256 == hashlib.sha256(data).hexdigest()


_COPY_PAST_A_FILE_SIZE_LIMIT = textwrap.dedent(
    """
    import resource, signal, sys
    from pathlib import Path
    from persistence.core.fsio import copy_and_hash
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # then the write fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (3 * 1024 * 1024 // 2,) * 2)
    try:
        copy_and_hash(Path(sys.argv[1]), Path(sys.argv[2]))
    except OSError as exc:
        print(exc)
    else:
        print("copied")
    """
)


def test_a_copy_that_runs_out_of_room_names_the_file_it_could_not_write(tmp_path: Path) -> None:
    """A full disk mid-copy (here a file size limit, the same failed write): the user must
    learn which file could not be written, as the buffered copy always said."""
    source = tmp_path / "source.bin"
    source.write_bytes(os.urandom(3 * CHUNK_SIZE))
    target = tmp_path / "copy.bin"
    done = subprocess.run(
        [sys.executable, "-c", _COPY_PAST_A_FILE_SIZE_LIMIT, str(source), str(target)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "copied" not in done.stdout
    assert str(target) in done.stdout, done.stdout

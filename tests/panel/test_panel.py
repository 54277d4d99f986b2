"""The panel under Streamlit's AppTest: every action, against real backups in a tmp data root."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Node, Progress

from persistence import service
from persistence.core.progress import ProgressCallback, ProgressEvent, ProgressStage
from persistence.core.results import CreateResult
from persistence.core.settings import BackupSettings, load_settings
from tests.conftest import AppState
from tests.panel.conftest import JOB_KEY, wait_for_job
from tests.qdrant_standin.server import QdrantStandin

SECRET = "s3cret-api-key-never-shown"


def values(elements: object) -> list[str]:
    return [str(e.value) for e in elements]  # type: ignore[attr-defined]


def page_text(app: AppTest) -> str:
    """Every element's protobuf and every table's cells: all the page would send."""
    parts: list[str] = []

    def walk(node: Node) -> None:
        if isinstance(node, Block):
            for child in node.children.values():
                walk(child)
            return
        parts.append(str(getattr(node, "proto", "")))

    walk(app._tree)
    parts += [frame.value.to_string() for frame in app.dataframe]
    return "\n".join(parts)


def table_column(app: AppTest, index: int, column: str) -> list[str]:
    return [str(v) for v in app.dataframe[index].value[column].tolist()]


def progress_bars(app: AppTest) -> dict[str, int]:
    """Every st.progress bar on the page: its text -> its value (0-100)."""
    return {bar.proto.text: bar.value for bar in app.get("progress") if isinstance(bar, Progress)}


def column_map(app: AppTest, index: int, key: str, value: str) -> dict[str, str]:
    return dict(zip(table_column(app, index, key), table_column(app, index, value), strict=True))


def make_backups(settings: BackupSettings, count: int) -> list[str]:
    ids: list[str] = []
    for _ in range(count):
        result = service.create_backup(settings, prune=False)
        assert result.ok, result.error
        assert result.backup_id is not None
        ids.append(result.backup_id)
    return ids


def test_empty_state_then_create(panel_env: AppState, panel: AppTest) -> None:
    panel.run()
    assert not panel.exception
    assert "No backups yet" in values(panel.info)[0]
    assert "Cache database" in values(panel.info)[0]
    create = panel.button(key="panel_create")
    assert not create.disabled

    create.click().run()
    wait_for_job(panel)

    assert not panel.exception
    assert len(panel_env.backups()) == 1
    backup_id = panel_env.backups()[0]
    assert any(f"Backup **{backup_id}** is complete" in s for s in values(panel.success))
    assert backup_id in table_column(panel, 1, "Backup")  # 0: the run's components
    bars = progress_bars(panel)
    assert bars["Uploads: 1.0 MiB of 1.0 MiB · 4/4 files"] == 100
    assert any(text.startswith("Cache database: ") for text in bars)
    assert any("Succeeded" in s for s in values(panel.markdown))
    assert not panel.button(key="panel_create").disabled


@dataclass
class Gate:
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def gated_create(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    """create_backup that pauses inside the uploads copy until the test lets it go on."""
    gate = Gate()
    real = service.create_backup

    def slow(settings: BackupSettings, *, progress: ProgressCallback, **kw: bool) -> CreateResult:
        def held(event: ProgressEvent) -> None:
            progress(event)
            if event.component == "uploads" and event.stage is ProgressStage.COMPONENT_ADVANCED:
                gate.reached.set()
                gate.release.wait(30)

        return real(settings, progress=held, **kw)

    monkeypatch.setattr(service, "create_backup", slow)
    yield gate
    gate.release.set()


def test_live_progress_and_a_double_click_starts_one_run(
    panel_env: AppState, panel: AppTest, gated_create: Gate
) -> None:
    panel.run()
    panel.button(key="panel_create").click().run()
    assert gated_create.reached.wait(30)
    panel.run()  # what the polling fragment draws while the run is half-way
    assert panel.session_state[JOB_KEY].running
    # While it runs: the button is disabled, the status box shows live per-component progress.
    assert panel.button(key="panel_create").disabled
    status = panel.status[0]
    assert status.label == "Creating a backup"
    assert status.state == "running"
    live = {text.split(":")[0]: value for text, value in progress_bars(panel).items()}
    assert live["Cache database"] == 100
    assert 0 <= live["Uploads"] < 100
    # A click that reaches the server for the disabled button (a forged or stale request)
    # must not start a second run. AppTest refuses clicks on disabled widgets: force it.
    job = panel.session_state[JOB_KEY]
    stale = panel.button(key="panel_create")
    stale._value = True
    panel.run()
    assert panel.session_state[JOB_KEY] is job
    gated_create.release.set()
    wait_for_job(panel)
    assert len(panel_env.backups()) == 1


def test_download_manifest_gives_the_exact_bytes(
    panel_env: AppState, panel: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    (backup_id,) = make_backups(panel_env.settings, 1)
    captured: dict[str, tuple[bytes, str | None]] = {}
    real = MemoryMediaFileStorage.load_and_get_id

    def spy(self: MemoryMediaFileStorage, data: str | bytes, mimetype: str, kind, filename=None):  # type: ignore[no-untyped-def]
        file_id = real(self, data, mimetype, kind, filename)
        assert isinstance(data, bytes)
        captured[file_id] = (data, filename)
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
    panel.run()
    button = panel.get("download_button")[0]
    assert button.proto.label == "Download manifest"
    file_id = button.proto.url.rsplit("/", 1)[1].split(".")[0]
    data, filename = captured[file_id]
    assert data == (panel_env.backup_dir / backup_id / "manifest.json").read_bytes()
    assert filename == f"{backup_id}.manifest.json"


def test_verify_shows_per_component_verdicts(panel_env: AppState, panel: AppTest) -> None:
    older, newer = make_backups(panel_env.settings, 2)
    panel.run()
    assert panel.selectbox(key="panel_selected").value == newer
    panel.button(key="panel_verify").click().run()
    wait_for_job(panel)
    assert any("Verification passed" in s and newer in s for s in values(panel.success))
    verdicts = column_map(panel, 1, "Component", "Verdict")
    assert verdicts["Uploads"] == "intact"
    assert verdicts["Cache database"] == "intact"

    damaged = panel_env.backup_dir / older / "uploads" / "2026" / "11" / "report.pdf"
    damaged.write_bytes(b"not the original")
    panel.selectbox(key="panel_selected").set_value(older).run()
    panel.button(key="panel_verify").click().run()
    wait_for_job(panel)
    assert any("Verification failed" in s and older in s for s in values(panel.error))
    verdicts = column_map(panel, 1, "Component", "Verdict")
    assert verdicts["Uploads"] == "damaged"
    assert any("report.pdf" in path for path in table_column(panel, 2, "File"))
    # The table (newest first) shows when each backup last passed verification.
    assert table_column(panel, 0, "Verified") == ["just now", "not yet"]


def test_prune_preview_then_apply_after_confirmation(
    panel_env: AppState, panel: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKUP_KEEP_LAST", "1")
    oldest, middle, newest = make_backups(load_settings(data_dir=panel_env.data_dir), 3)
    panel.run()
    panel.button(key="panel_prune_preview_button").click().run()
    assert any("2 backups would be deleted" in s for s in values(panel.warning))
    assert len(panel_env.backups()) == 3  # a preview deletes nothing
    frames = [frame.value for frame in panel.dataframe]
    doomed = next(f for f in frames if "Backup" in f and "Kept because" not in f and len(f) == 2)
    assert sorted(doomed["Backup"].tolist()) == [oldest, middle]
    kept = next(f for f in frames if "Kept because" in f)
    assert kept["Backup"].tolist() == [newest]
    assert kept["Kept because"].tolist() == ["keep-last 1 (#1 newest)"]

    apply = panel.button(key="panel_prune_apply")
    assert apply.disabled  # not before the confirmation
    panel.checkbox(key="panel_prune_confirm").check().run()
    panel.button(key="panel_prune_apply").click().run()
    assert not panel.exception
    assert any("Deleted 2 old backups" in s for s in values(panel.success))
    assert panel_env.backups() == [newest]


def test_restore_preview_names_what_is_replaced_then_restores(
    panel_env: AppState, panel: AppTest
) -> None:
    (backup_id,) = make_backups(panel_env.settings, 1)
    docstore = panel_env.data_dir / "storage" / "docstore.json"
    original = docstore.read_bytes()
    docstore.write_bytes(b'{"docs": {}}\n')
    (panel_env.data_dir / "storage" / "stray.txt").write_text("new since the backup")
    panel.run()
    panel.button(key="panel_plan").click().run()
    assert not panel.exception
    assert not values(panel.error), values(panel.error)
    plan = panel.dataframe[1].value
    storage = plan[plan["Component"] == "Storage"].iloc[0]
    assert storage["Replaced"] == 1 and storage["Removed"] == 1
    assert docstore.read_bytes() != original  # a preview changes nothing
    confirm = panel.checkbox(key="panel_restore_confirm")
    assert "Storage (1 replaced, 1 removed)" in confirm.label
    assert panel.button(key="panel_restore").disabled

    confirm.check().run()
    panel.button(key="panel_restore").click().run()
    wait_for_job(panel)
    assert not panel.exception
    assert any(f"Restored **{backup_id}**" in s for s in values(panel.success)), values(panel.error)
    assert docstore.read_bytes() == original
    assert not (panel_env.data_dir / "storage" / "stray.txt").exists()

    # Undo: the pre-restore copy is previewed and restored the same way.
    panel.button(key="panel_undo_plan").click().run()
    confirm = panel.checkbox(key="panel_restore_confirm")
    assert "with the copy from pre-restore_" in confirm.label
    confirm.check().run()
    panel.button(key="panel_restore").click().run()
    wait_for_job(panel)
    assert any("Restored **pre-restore_" in s for s in values(panel.success)), values(panel.error)
    assert docstore.read_bytes() == b'{"docs": {}}\n'
    assert (panel_env.data_dir / "storage" / "stray.txt").exists()


def test_qdrant_failure_is_shown_in_health_and_create(
    panel_env: AppState,
    panel: AppTest,
    qdrant_standin: QdrantStandin,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    qdrant_standin.add_collection("docs")
    qdrant_standin.fail("GET", "/", 500, "storage engine on fire", times=10)
    monkeypatch.setenv("QDRANT_URL", qdrant_standin.url)
    monkeypatch.setenv("QDRANT_API_KEY", SECRET)
    panel.run()
    assert any("Unreachable" in s for s in values(panel.markdown))
    warning = " ".join(values(panel.warning))
    assert "HTTP 500" in warning and "storage engine on fire" in warning
    panel.button(key="panel_create").click().run()
    wait_for_job(panel)
    error = " ".join(values(panel.error))
    assert "The backup failed" in error and "storage engine on fire" in error
    assert panel_env.backups() == []
    assert not panel.exception
    assert SECRET not in page_text(panel)


def test_qdrant_connection_refused_is_one_clear_line(
    panel_env: AppState, panel: AppTest, unused_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QDRANT_URL", f"http://127.0.0.1:{unused_port}")
    panel.run()
    assert any("cannot connect" in s for s in values(panel.warning))
    panel.button(key="panel_create").click().run()
    wait_for_job(panel)
    assert any("The backup failed" in s and "cannot connect" in s for s in values(panel.error))
    assert not panel.exception


HOLD_LOCK = """
import sys
from pathlib import Path
from persistence.store.locking import backup_lock
with backup_lock(Path(sys.argv[1]), "create-backup", 5):
    print("locked", flush=True)
    sys.stdin.readline()
"""


def test_create_is_disabled_while_another_process_holds_the_lock(
    panel_env: AppState, panel: AppTest
) -> None:
    panel_env.backup_dir.mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(panel_env.backup_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        panel.run()
        assert panel.button(key="panel_create").disabled
        info = " ".join(values(panel.info))
        assert "create-backup run is in progress" in info
        assert f"pid {holder.pid}" in info
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(10)
    panel.run()
    assert not panel.button(key="panel_create").disabled


def test_bad_settings_show_one_error_not_a_traceback(
    panel_env: AppState, panel: AppTest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BACKUP_KEEP_LAST", "0")
    panel.run()
    assert not panel.exception
    assert values(panel.error)[0].startswith("invalid setting BACKUP_KEEP_LAST")

    monkeypatch.delenv("BACKUP_KEEP_LAST")
    monkeypatch.setenv("BACKUP_DIR", str(tmp_path / "elsewhere"))
    panel.run()
    assert not panel.exception
    assert "BACKUP_DIR" in values(panel.error)[0]
    assert "outside the data root" in values(panel.error)[0]


def test_settings_page_shows_the_key_only_as_set(
    panel_env: AppState, panel: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QDRANT_API_KEY", SECRET)
    monkeypatch.setenv("QDRANT_URL", "http://user:pw@127.0.0.1:9/")
    panel.run()
    panel.switch_page("pages/settings_page.py").run()
    assert not panel.exception
    shown = column_map(panel, 0, "Setting", "Value")
    assert shown["QDRANT_API_KEY"] == "set"
    assert shown["QDRANT_URL"] == "http://***@127.0.0.1:9/"
    assert SECRET not in page_text(panel)
    assert "pw@" not in page_text(panel)


def _two_starts_script() -> None:
    import threading

    import streamlit as st

    from panel.jobs import Job, current_job, start_job
    from persistence.core.results import RunResult

    gate = threading.Event()

    def work(_progress: object) -> RunResult:
        gate.wait(10)
        return RunResult(ok=True)

    first = start_job(Job(kind="create", title="one", work=work))
    second = start_job(Job(kind="create", title="two", work=work))
    job = current_job()
    st.write(f"{first} {second} {job.title if job else None}")
    gate.set()


def test_session_guard_refuses_a_second_job_while_one_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "src"))
    app = AppTest.from_function(_two_starts_script)
    app.run()
    assert not app.exception
    assert values(app.markdown) == ["True False one"]

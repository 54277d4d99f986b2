"""Long service calls (create, verify, restore) run in a worker thread, one per browser session.

Why a thread: Streamlit stops a running script at the next element it draws whenever the user
touches any widget. A backup run inside the script would then be cut off half-way by an
unrelated click. In a thread the run always finishes; the page only polls its progress.

The worker never calls Streamlit: it records the engine's progress events in the job, and a
fragment on the page draws them every half second.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import streamlit as st
from pydantic import ValidationError

from persistence.core.display import component_label, progress_fraction, progress_text
from persistence.core.errors import BackupError
from persistence.core.progress import ProgressCallback, ProgressEvent, ProgressStage
from persistence.core.settings import BackupSettings, load_settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from persistence.core.results import RunResult

logger = logging.getLogger(__name__)

JOB_KEY = "panel_job"
LAST_KEY = "panel_last"  # the last finished job's view, shown until the next one starts
POLL_SECONDS = 0.5


@dataclass(frozen=True)
class JobView:
    """A consistent copy of a job's state, safe to draw from the page's thread."""

    kind: str
    title: str
    backup_id: str | None
    running: bool
    components: dict[str, ProgressEvent]
    messages: list[str]
    result: RunResult | None
    error: str | None


@dataclass
class Job:
    kind: str  # "create", "verify", "restore": the page picks how to show the result
    title: str
    work: Callable[[ProgressCallback], RunResult]
    backup_id: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _components: dict[str, ProgressEvent] = field(default_factory=lambda: {})
    _messages: list[str] = field(default_factory=lambda: [])
    _result: RunResult | None = None
    _error: str | None = None
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"panel-{self.kind}", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def view(self) -> JobView:
        with self._lock:
            return JobView(
                kind=self.kind,
                title=self.title,
                backup_id=self.backup_id,
                running=self.running,
                components=dict(self._components),
                messages=list(self._messages),
                result=self._result,
                error=self._error,
            )

    def _on_progress(self, event: ProgressEvent) -> None:
        with self._lock:
            if event.component is not None and event.stage in (
                ProgressStage.COMPONENT_STARTED,
                ProgressStage.COMPONENT_ADVANCED,
                ProgressStage.COMPONENT_FINISHED,
            ):
                self._components[event.component] = event
            elif event.stage is ProgressStage.MESSAGE and event.message:
                self._messages.append(event.message)

    def _run(self) -> None:
        try:
            result = self.work(self._on_progress)
        except BackupError as exc:
            with self._lock:
                self._error = exc.message
        except Exception as exc:  # the page shows one line; the log keeps the traceback
            logger.exception("panel %s failed", self.kind)
            with self._lock:
                self._error = f"unexpected error ({type(exc).__name__}): {exc}"
        else:
            with self._lock:
                self._result = result


def current_job() -> Job | None:
    job: object = st.session_state.get(JOB_KEY)
    return job if isinstance(job, Job) else None


def start_job(job: Job) -> bool:
    """Start `job` unless this session already runs one (a double click, a rerun)."""
    running = current_job()
    if running is not None and running.running:
        return False
    st.session_state[JOB_KEY] = job
    st.session_state.pop(LAST_KEY, None)
    job.start()
    return True


def collect_finished_job() -> None:
    """Move a job that has finished to LAST_KEY, where the page shows its result."""
    job = current_job()
    if job is None or job.running:
        return
    del st.session_state[JOB_KEY]
    st.session_state[LAST_KEY] = job.view()


def job_running(*kinds: str) -> bool:
    job = current_job()
    return job is not None and job.running and (not kinds or job.kind in kinds)


def last_result(kind: str, backup_id: str | None = None) -> JobView | None:
    view: object = st.session_state.get(LAST_KEY)
    if not isinstance(view, JobView) or view.kind != kind:
        return None
    if backup_id is not None and view.backup_id != backup_id:
        return None
    return view


def draw_progress(view: JobView) -> None:
    """An `st.status` box with one `st.progress` bar per component."""
    if view.running:
        state = "running"
    elif view.error is not None or (view.result is not None and not view.result.ok):
        state = "error"
    else:
        state = "complete"
    endings = {"running": "", "error": ": failed", "complete": ": finished"}
    label = view.title + endings[state]
    # Not a `with` block: leaving one would mark a running status "complete".
    box = st.status(label, state=state, expanded=view.running)
    if not view.components:
        box.caption("Starting…")
    for name, event in view.components.items():
        finished = event.stage is ProgressStage.COMPONENT_FINISHED
        fraction = 1.0 if finished else progress_fraction(event.bytes_done, event.bytes_total)
        box.progress(fraction or 0.0, text=f"{component_label(name)}: {progress_text(event)}")
    for message in view.messages:
        box.caption(message)


@st.fragment(run_every=POLL_SECONDS)
def job_progress_fragment() -> None:
    """Redraw the running job's progress; rerun the whole page once it has finished."""
    job = current_job()
    if job is None:
        return
    view = job.view()
    draw_progress(view)
    if not view.running:
        st.rerun(scope="app")


def load_panel_settings() -> BackupSettings:
    """Settings from the environment; a bad value becomes a BackupError naming the variable."""
    try:
        return load_settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        field_name = str(first["loc"][0]) if first["loc"] else "setting"
        info = BackupSettings.model_fields.get(field_name)
        alias = info.validation_alias if info else None
        env = alias if isinstance(alias, str) else field_name
        raise BackupError(f"invalid setting {env}: {first['msg']}") from None

"""ModelManager: loads a model once, at start-up or in a background thread, and says how that went.

A request never waits for a model: it asks `ModelManager.get`, which answers at once with the
loaded model or None, and the caller falls back to the default path and says why (`status().why`).
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from headroom.ml.loader import ModelSpec

T = TypeVar("T")


class ModelState(str, enum.Enum):
    """Where a model's loading stands."""

    IDLE = "idle"  # configured, not started
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True)
class ModelStatus:
    """A snapshot of a manager, for `headroom doctor`, health endpoints and markers.

    Attributes:
        source: the configured model (folder or hub id).
        state: idle, loading, ready or failed.
        error: why loading failed (the exception's type and message), or None.
        load_seconds: how long loading took (ready or failed), or None.
        details: what the model reported about itself once loaded (sizes, labels, speed).
    """

    source: str
    state: ModelState
    error: str | None = None
    load_seconds: float | None = None
    details: dict[str, str] = field(default_factory=dict)

    @property
    def why(self) -> str:
        """Why the model cannot serve a request now, in words stable enough for a marker."""
        if self.state is ModelState.READY:
            return "the ML model is ready"
        if self.state is ModelState.LOADING:
            return "the ML model is still loading"
        if self.state is ModelState.IDLE:
            return "the ML model was configured but never started"
        return f"the ML model failed to load: {self.error}"


class ModelManager(Generic[T]):
    """Owns one model: loads it off the request path and hands it out once ready.

    Args:
        spec: what to load.
        loader: builds the model from ``spec`` (e.g. `TokenClassifier.load`); may take seconds.
        describe: optional; the details to report once loaded (called with the model).
    """

    def __init__(
        self,
        spec: ModelSpec,
        loader: Callable[[ModelSpec], T],
        describe: Callable[[T], dict[str, str]] | None = None,
    ) -> None:
        self.spec = spec
        self._loader = loader
        self._describe = describe
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._state = ModelState.IDLE
        self._model: T | None = None
        self._error: str | None = None
        self._seconds: float | None = None
        self._details: dict[str, str] = {}

    def start(self) -> ModelManager[T]:
        """Begin loading in a daemon thread (once; later calls do nothing). Returns self."""
        with self._lock:
            if self._state is not ModelState.IDLE:
                return self
            self._state = ModelState.LOADING
        threading.Thread(target=self._load, name=f"headroom-ml-load:{self.spec.label}", daemon=True).start()
        return self

    def load(self) -> ModelManager[T]:
        """Load in this thread (for start-up code that prefers to wait). Returns self."""
        with self._lock:
            if self._state is not ModelState.IDLE:
                start = False
            else:
                self._state, start = ModelState.LOADING, True
        if start:
            self._load()
        else:
            self._done.wait()
        return self

    def _load(self) -> None:
        t0 = time.perf_counter()
        try:
            model = self._loader(self.spec)
            details = self._describe(model) if self._describe else {}
        except Exception as e:  # any failure is reported by status(), never raised into a request
            with self._lock:
                self._state, self._error = ModelState.FAILED, f"{type(e).__name__}: {e}"
                self._seconds = time.perf_counter() - t0
        else:
            with self._lock:
                self._state, self._model, self._details = ModelState.READY, model, details
                self._seconds = time.perf_counter() - t0
        finally:
            self._done.set()

    @property
    def ready(self) -> bool:
        """Whether the model is loaded."""
        return self._state is ModelState.READY

    def wait(self, timeout: float | None = None) -> bool:
        """Block until loading has finished (ready or failed), at most ``timeout`` seconds.

        Returns:
            True when the model is ready.
        """
        if self._state is ModelState.IDLE:
            return False
        self._done.wait(timeout)
        return self.ready

    def get(self) -> T | None:
        """The model if it is ready, else None; never blocks."""
        return self._model if self._state is ModelState.READY else None

    def status(self) -> ModelStatus:
        """Where loading stands, and why it failed if it did."""
        with self._lock:
            return ModelStatus(self.spec.source, self._state, self._error, self._seconds, dict(self._details))

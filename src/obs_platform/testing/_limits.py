"""What a program may not do under the offline engine: exit the process, or run forever.

Under ``pulumi up`` a program that calls ``sys.exit(0)`` half-way ends the deployment with the
resources registered so far, and one that hangs holds the deployment open. Offline, either used
to look like success (an empty, passing plan) or never to finish. The guard here turns both into
a :class:`ProgramStopError` error naming where the program was and what it was waiting for.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import linecache
import math
import os
import signal
import sys
import sysconfig
import threading
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

from pulumi.runtime.sync_await import _ensure_event_loop

_LIBRARY_ROOT = str(Path(__file__).resolve().parents[1])
_STDLIB = str(Path(sysconfig.get_paths()["stdlib"]).resolve())


class ProgramStopError(Exception):
    """A program exited the process or exceeded its time limit under the offline engine."""


class ProgramExitError(ProgramStopError):
    """The program called ``sys.exit``, ``exit()``, ``os._exit`` or ``os.abort``.

    Attributes:
        code: The exit code it asked for.
    """

    def __init__(self, message: str, code: object) -> None:
        super().__init__(message)
        self.code = code


class ProgramTimeoutError(ProgramStopError):
    """The program did not finish within its time limit.

    Attributes:
        timeout_seconds: The limit.
        waiting_for: What the program was doing or waiting for when the limit passed.
    """

    def __init__(self, message: str, timeout_seconds: float, waiting_for: str) -> None:
        super().__init__(message)
        self.timeout_seconds = timeout_seconds
        self.waiting_for = waiting_for


class ProgramTooDeepError(ProgramStopError):
    """The program (or an input it built) nested deeper than Python's recursion limit."""


class _InterceptedExit(SystemExit):
    """Raised in place of ``os._exit``/``os.abort``, which would end the process at once."""

    def __init__(self, how: str, code: object) -> None:
        super().__init__(code)
        self.how = how


class _Deadline(BaseException):
    """Raised in the program when the time limit passes.

    A BaseException, so that ``except Exception`` in the program does not swallow it.
    """


def is_user_file(filename: str) -> bool:
    """True for a frame of the user's program: not the SDKs, not the standard library, not us."""
    resolved = str(Path(filename).resolve()) if not filename.startswith("<") else filename
    return not (
        filename.startswith("<")
        or "site-packages" in filename
        or resolved.startswith(_LIBRARY_ROOT)
        or resolved.startswith(_STDLIB)
    )


def _where(frame: types.FrameType) -> str:
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    shown = f" ({line})" if line else ""
    return f"{frame.f_code.co_filename}:{frame.f_lineno}{shown}"


def _user_frame_of(
    frame: types.FrameType | None, boundary: types.FrameType | None
) -> types.FrameType | None:
    """The innermost frame of the user's program between ``frame`` and the engine's boundary.

    Frames outside the boundary, such as a test calling the engine, are not the program's.
    """
    while frame is not None and frame is not boundary:
        if is_user_file(frame.f_code.co_filename):
            return frame
        frame = frame.f_back
    return None


def location_of(exc: BaseException) -> str | None:
    """``file:line (source)`` of the innermost user frame in ``exc``'s traceback."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        if is_user_file(tb.tb_frame.f_code.co_filename):
            found = tb
        tb = tb.tb_next
    if found is None:
        return None
    line = linecache.getline(found.tb_frame.f_code.co_filename, found.tb_lineno).strip()
    return f"{found.tb_frame.f_code.co_filename}:{found.tb_lineno}" + (f" ({line})" if line else "")


def exit_error(exc: SystemExit) -> ProgramExitError:
    """The error for a program that tried to end the process."""
    how = exc.how if isinstance(exc, _InterceptedExit) else "sys.exit"
    where = location_of(exc)
    at = f" at {where}" if where else ""
    return ProgramExitError(
        f"the program called {how}({exc.code!r}){at}. A Pulumi program must not end the "
        "process: under `pulumi up` the deployment would stop with only the resources "
        "registered so far (a half-created stack), and offline the plan would be empty or "
        "partial. Raise an exception to refuse input, or remove the exit.",
        exc.code,
    )


def _pending_registrations(loop: asyncio.AbstractEventLoop) -> tuple[list[str], list[str]]:
    """Resources whose registration is still waiting, and user code that tasks wait in."""
    resources: list[str] = []
    user_code: list[str] = []
    try:
        tasks = asyncio.all_tasks(loop)
    except RuntimeError:
        return resources, user_code
    for task in tasks:
        for frame in task.get_stack():
            code = frame.f_code
            if code.co_name == "do_register" and "name" in frame.f_locals:
                resources.append(f"{frame.f_locals['name']!r} ({frame.f_locals.get('ty')})")
            elif is_user_file(code.co_filename):
                user_code.append(_where(frame))
    return sorted(set(resources)), sorted(set(user_code))


def _describe_wait(
    frame: types.FrameType | None,
    boundary: types.FrameType | None,
    loop: asyncio.AbstractEventLoop | None = None,
) -> str:
    user = _user_frame_of(frame, boundary)
    if user is not None:
        return f"the program was still running at {_where(user)}"
    if loop is None:
        try:
            loop = asyncio.get_event_loop_policy().get_event_loop()
        except RuntimeError:
            loop = None
    resources, user_code = _pending_registrations(loop) if loop is not None else ([], [])
    parts = []
    if resources:
        more = f" and {len(resources) - 5} more" if resources[5:] else ""
        shown = ", ".join(resources[:5]) + more
        parts.append(f"the registration of {shown}, whose inputs never resolved")
    if user_code:
        parts.append(f"code awaiting at {', '.join(user_code[:3])}")
    if not parts:
        parts.append(
            "Pulumi outputs that never resolved (an Output built on a future or an "
            "apply that does not return)"
        )
    return "it was waiting for " + "; ".join(parts)


def check_timeout(timeout_seconds: float | None, option: str = "timeout_seconds") -> None:
    """Refuse a time limit that is not a finite number of seconds above zero.

    Raises:
        ValueError: Naming ``option``, the value and the fix.
    """
    if timeout_seconds is None:
        return
    if not math.isfinite(timeout_seconds) or timeout_seconds <= 0:
        raise ValueError(
            f"{option} {timeout_seconds!r} is not a time limit: give a finite number of seconds "
            "above 0 (raise it for a program that is slow, not stuck)."
        )


GRACE_INTERRUPTIONS = 3
"""Interruptions (one a second after the limit) a program may swallow before the process ends."""


class Guard:
    """Intercepts process exits and enforces the time limit while a program runs.

    Attributes:
        timed_out: The error to raise when the limit passed, else ``None``.
    """

    def __init__(self, timeout_seconds: float | None) -> None:
        check_timeout(timeout_seconds)
        # The frame that created the guard (the engine's run): frames outside it are the
        # caller's, never the program's.
        self._boundary = sys._getframe(1)
        self.timeout_seconds = timeout_seconds
        self.timed_out: ProgramTimeoutError | None = None
        self._interruptions = 0
        self._real_exit = os._exit

    def _on_alarm(self, signum: int, frame: types.FrameType | None) -> None:
        self._expire(frame)
        raise _Deadline

    def _expire(
        self, frame: types.FrameType | None, loop: asyncio.AbstractEventLoop | None = None
    ) -> None:
        """Count one interruption: record the timeout, or end the process after the grace."""
        self._interruptions += 1
        if self.timed_out is not None and self._interruptions > GRACE_INTERRUPTIONS:
            # The program caught every interruption (``except BaseException`` in a loop): no
            # exception can stop it, and a run that never ends is worse than one that fails.
            why = (
                "swallowed every interruption"
                if threading.current_thread() is threading.main_thread()
                else "did not stop: it swallowed every interruption, or is blocked in a call "
                "that no interruption reaches"
            )
            sys.stderr.write(
                f"obs-platform: {self.timed_out} The program {why}, so the process ends here.\n"
            )
            sys.stderr.flush()
            self._real_exit(2)
        if self.timed_out is None:
            assert self.timeout_seconds is not None
            waiting = _describe_wait(frame, self._boundary, loop)
            self.timed_out = ProgramTimeoutError(
                f"the program did not finish within {self.timeout_seconds:g} s: {waiting}. "
                "If it is slow rather than stuck, raise the limit (--timeout SECONDS).",
                self.timeout_seconds,
                waiting,
            )

    @contextlib.contextmanager
    def _watchdog(self) -> Iterator[None]:
        """The time limit off the main thread, where no signal handler can run.

        A watchdog thread waits for the limit, then raises the deadline in the running thread
        with CPython's ``PyThreadState_SetAsyncExc`` (the C API's way to raise an exception in
        another thread, checked each time that thread runs Python bytecode) and wakes its
        event loop (``call_soon_threadsafe``), so that a loop blocked in ``select`` returns
        and the exception is delivered. It repeats every second, like the alarm, and ends the
        process after :data:`GRACE_INTERRUPTIONS` more, so that even a thread stuck in one
        long C call cannot hold the run open for good.
        """
        assert self.timeout_seconds is not None
        target = threading.get_ident()
        try:
            loop: asyncio.AbstractEventLoop | None = _ensure_event_loop()  # type: ignore[no-untyped-call]
        except RuntimeError:
            loop = None
        stop = threading.Event()
        lock = threading.Lock()

        def watch() -> None:
            delay = self.timeout_seconds
            while not stop.wait(delay):
                delay = 1.0
                with lock:
                    if stop.is_set():
                        return
                    self._expire(sys._current_frames().get(target), loop)
                    _raise_in_thread(target, _Deadline)
                if loop is not None and not loop.is_closed():
                    with contextlib.suppress(RuntimeError):
                        loop.call_soon_threadsafe(lambda: None)

        watcher = threading.Thread(target=watch, name="obs-platform-timeout", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            while True:
                try:
                    with lock:
                        stop.set()
                        # A deadline raised but not yet delivered must not reach the caller.
                        _raise_in_thread(target, None)
                    break
                except _Deadline:
                    continue  # delivered here: the timeout is recorded; clear and leave
            watcher.join()

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """Install the guard for the duration of the block."""
        real_exit, real_abort = os._exit, os.abort

        def intercepted_exit(status: int) -> NoReturn:
            raise _InterceptedExit("os._exit", status)

        def intercepted_abort() -> NoReturn:
            raise _InterceptedExit("os.abort", None)

        os._exit = intercepted_exit
        os.abort = intercepted_abort
        use_alarm = (
            self.timeout_seconds is not None
            and hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
        )
        previous: Any = None
        if use_alarm:
            assert self.timeout_seconds is not None
            previous = signal.signal(signal.SIGALRM, self._on_alarm)
            # Fire again every second after the limit, so a program that catches the first
            # interruption (or a wait begun after it) cannot keep the run alive.
            signal.setitimer(signal.ITIMER_REAL, self.timeout_seconds, 1.0)
        watchdog = (
            self._watchdog()
            if self.timeout_seconds is not None and not use_alarm
            else contextlib.nullcontext()
        )
        try:
            with watchdog:
                yield
        finally:
            if use_alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
            os._exit, os.abort = real_exit, real_abort


def _raise_in_thread(thread_id: int, exception: type[BaseException] | None) -> None:
    """Raise ``exception`` in another thread at its next bytecode; ``None`` cancels one pending.

    CPython's ``PyThreadState_SetAsyncExc`` (Python/C API, "Thread State and the Global
    Interpreter Lock"): "Asynchronously raise an exception in a thread ... If exc is NULL, the
    pending exception (if any) for the thread is cleared."
    """
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exception) if exception else None
    )


def abandon_event_loop() -> None:
    """Cancel what a stopped program left on the event loop and start the next run afresh.

    A run stopped by its time limit or an exit leaves tasks waiting on futures that will never
    resolve; the next run in this process must not inherit them.
    """
    try:
        loop = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        return
    if loop.is_running():
        return
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        with contextlib.suppress(BaseException):
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()
    asyncio.set_event_loop(asyncio.new_event_loop())


__all__ = [
    "Guard",
    "ProgramExitError",
    "ProgramStopError",
    "ProgramTimeoutError",
    "ProgramTooDeepError",
    "abandon_event_loop",
    "check_timeout",
    "exit_error",
    "location_of",
]

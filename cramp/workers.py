"""Worker processes that stop when asked and never outlive the process that started them.

:class:`WorkerPool` hands one task at a time to each of a few worker processes over a
pipe. Unlike :mod:`concurrent.futures`, it can be stopped at once: Ctrl-C reaches the
whole process group of a terminal, so the workers ignore it and the parent decides (the
workers are sent SIGTERM: each finishes the task it holds, answer included, and unwinds
cleanly; they are reaped, and every answer sent is kept); a worker that dies
costs only its task; and each worker ends when its parent does, even one killed with
SIGKILL (``PR_SET_PDEATHSIG`` on Linux, a thread watching the parent elsewhere).

:func:`stop_on_signals` turns SIGINT and SIGTERM into a flag the pool and the caller
check, so nothing is cut half-way and what finished can still be written out.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

__all__ = ["Stop", "WorkerPool", "stop_on_signals"]

#: The signals that stop a run, where the platform has them.
STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM") if hasattr(signal, n))


class Stop:
    """Set by SIGINT or SIGTERM; its file descriptor wakes a loop waiting on workers."""

    def __init__(self) -> None:
        self.signal: int | None = None
        self.wakeup: int | None = None

    def __bool__(self) -> bool:
        return self.signal is not None

    def drain(self) -> None:
        """Empty the wake-up pipe, so the next wait blocks again."""
        if self.wakeup is None:
            return
        try:
            while os.read(self.wakeup, 512):
                pass
        except OSError:  # BlockingIOError: empty
            pass


@contextmanager
def stop_on_signals() -> Iterator[Stop]:
    """While inside, SIGINT and SIGTERM only set the yielded :class:`Stop`.

    Outside the main thread signals cannot be caught, and nothing changes.
    """
    stop = Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    os.set_blocking(write_end, False)
    stop.wakeup = read_end

    def record(signum: int, _frame: Any) -> None:
        if stop.signal is None:
            stop.signal = signum

    previous = {signum: signal.signal(signum, record) for signum in STOP_SIGNALS}
    old_wakeup = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    try:
        yield stop
    finally:
        signal.set_wakeup_fd(old_wakeup)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        os.close(read_end)
        os.close(write_end)


Task = tuple[int, Any]


@dataclass
class _Worker:
    process: Any
    conn: Any
    task: Task | None = None


class WorkerPool:
    """``size`` processes, each running ``setup(*setup_args)`` once, then ``work(task)``.

    ``setup`` and ``work`` must be module-level functions (where processes are spawned
    rather than forked, they are pickled). Forked workers inherit what the parent has
    loaded, so loading it before :meth:`run` shares it.
    """

    def __init__(
        self,
        size: int,
        work: Callable[[Any], Any],
        setup: Callable[..., None],
        setup_args: tuple[Any, ...] = (),
    ) -> None:
        import multiprocessing

        self.context = (
            multiprocessing.get_context("fork")
            if sys.platform.startswith("linux")
            else multiprocessing.get_context("spawn")
        )
        self.size = size
        self.args = (os.getpid(), setup, setup_args, work)
        self.workers: list[_Worker] = []

    def run(
        self,
        tasks: Iterator[Task],
        done: Callable[[int, Any], None],
        died: Callable[[Task, str], None],
        stop: Stop,
    ) -> None:
        """Work through ``tasks`` (index, payload); ``done(index, result)`` as each ends.

        ``died(task, why)`` is called for a task whose worker stopped without answering
        (a replacement is started). Returns when the tasks are done or ``stop`` is set;
        either way every worker is stopped and reaped first.
        """
        from multiprocessing.connection import wait

        exhausted = False
        try:
            while not stop:
                # One task per worker: a worker is always waiting when it is sent one,
                # so sending never blocks and a signal is noticed at once.
                while not exhausted and not stop:
                    idle = [w for w in self.workers if w.task is None]
                    if not idle and len(self.workers) >= self.size:
                        break
                    task = next(tasks, None)
                    if task is None:
                        exhausted = True
                        break
                    worker = idle[0] if idle else self._start()
                    worker.task = task
                    worker.conn.send(task)
                busy = [w for w in self.workers if w.task is not None]
                if not busy:
                    break
                handles: list[Any] = [w.conn for w in busy] + [w.process.sentinel for w in busy]
                if stop.wakeup is not None:
                    handles.append(stop.wakeup)
                ready = wait(handles)
                if stop.wakeup in ready:
                    stop.drain()
                for worker in busy:
                    if worker.conn in ready or worker.process.sentinel in ready:
                        self._collect(worker, done, died)
        finally:
            self._stop_all(done)

    def _start(self) -> _Worker:
        parent_end, child_end = self.context.Pipe()
        process = self.context.Process(
            target=_worker_main, args=(child_end, *self.args), daemon=True, name="cramp-worker"
        )
        # Signals stay blocked across the fork until the worker has its own handlers.
        old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
        child_end.close()
        worker = _Worker(process, parent_end)
        self.workers.append(worker)
        return worker

    def _collect(
        self,
        worker: _Worker,
        done: Callable[[int, Any], None],
        died: Callable[[Task, str], None],
    ) -> None:
        task = worker.task
        assert task is not None
        try:
            if self._take_answer(worker, done):
                return
        except (EOFError, OSError):
            pass
        if worker.process.is_alive():
            return  # woken before its answer arrived
        worker.process.join(timeout=1)
        code = worker.process.exitcode
        why = f"signal {-code}" if code is not None and code < 0 else f"status {code}"
        worker.conn.close()
        self.workers.remove(worker)
        died(task, why)

    def _stop_all(self, done: Callable[[int, Any], None]) -> None:
        """Stop every worker, keep the answers they sent, and reap them.

        A worker asked to stop (SIGTERM) finishes the task it holds, its report and its
        answer, then exits; one still busy after :data:`FINISH_SECONDS` is asked again
        and unwinds at once (no half-written file), and one still alive after that is
        killed. Every answer sent is kept, so the summary of a stopped batch lists every
        report on disk.
        """
        for worker in self.workers:
            if worker.process.is_alive():
                worker.process.terminate()
        for attempt in (self._asked_again, self._killed):
            for worker in self.workers:
                worker.process.join(timeout=FINISH_SECONDS)
                if worker.process.is_alive():
                    attempt(worker)
        for worker in self.workers:
            with suppress(EOFError, OSError):
                if worker.task is not None:
                    self._take_answer(worker, done)
            worker.conn.close()
        self.workers = []

    @staticmethod
    def _take_answer(worker: _Worker, done: Callable[[int, Any], None]) -> bool:
        """Hand on the worker's answer if it has arrived; whether it had."""
        if not worker.conn.poll():
            return False
        index, result = worker.conn.recv()
        worker.task = None
        done(index, result)
        return True

    @staticmethod
    def _asked_again(worker: _Worker) -> None:
        worker.process.terminate()

    @staticmethod
    def _killed(worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join(timeout=FINISH_SECONDS)


def _worker_main(
    conn: Any,
    parent: int,
    setup: Callable[..., None],
    setup_args: tuple[Any, ...],
    work: Callable[[Any], Any],
) -> None:
    """A worker's life: set up once, then answer each task until the pipe closes."""
    signal.set_wakeup_fd(-1)  # the parent's wake-up pipe is the parent's
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent to act on
    stopping = _Stopping()
    signal.signal(signal.SIGTERM, stopping.asked)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    _die_with_parent(parent)
    setup(*setup_args)
    while True:
        try:
            index, payload = conn.recv()
        except (EOFError, OSError):
            return  # the parent closed the pipe, or is gone
        stopping.busy = True
        result = work(payload)
        try:
            conn.send((index, result))
        except OSError:
            return
        stopping.busy = False
        stopping.exit_if_asked()


#: How long a worker asked to stop may take to finish its task (then it is asked again,
#: and unwinds at once), and how long the parent then waits before killing it.
FINISH_SECONDS = 1.0


class _Stopping:
    """A worker's SIGTERM: exit at once when idle; when busy, after the task's answer.

    A report is written (renamed into place) before its answer is sent: exiting between
    the two would leave a report the parent never hears of, missing from the summary.
    So a busy worker finishes its task first, unless asked a second time.
    """

    def __init__(self) -> None:
        self.busy = False
        self.signal: int | None = None

    def asked(self, signum: int, _frame: Any) -> None:
        if self.busy and self.signal is None:
            self.signal = signum
            return
        _exit(signum)

    def exit_if_asked(self) -> None:
        if self.signal is not None:
            _exit(self.signal)


def _exit(signum: int) -> None:
    # SystemExit unwinds through the writers' cleanup (no temporary file is left) and
    # ends the process without a traceback.
    raise SystemExit(128 + signum)


def _die_with_parent(parent: int) -> None:
    """Make this worker end when the process that started it does, however it ends."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the death signal was set
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    """Wherever no death signal is sent: notice within half a second that the parent is gone."""
    import time

    while os.getppid() == parent:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(2)
    os._exit(1)

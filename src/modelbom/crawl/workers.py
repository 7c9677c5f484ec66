"""Worker processes that crawl batches of files.

Each worker holds its own copy of the scan's crawlers and reader and serves batches of
:class:`~modelbom.crawl.files.FileJob` over its own pipe: it reads the files itself,
runs :func:`~modelbom.crawl.files.run_job` on each (the crawler guards stay there) and
sends the batch's results back. The main process keeps at most two batches in flight
per worker, small enough that sending one never waits for the worker.

Failure modes: a worker that dies (killed by the OS, out of memory) turns the files of
its batches in flight into Unknowns and is replaced; the scan never waits for a dead
worker. Workers ignore SIGINT: Ctrl-C interrupts the main process, which ends the
workers (SIGTERM, then SIGKILL) on its way out. A worker also ends when the main
process goes away (its pipe closes).

Processes are forked on Linux when the main process runs no other thread (a fork copies
the crawlers, nothing is imported again); otherwise they are spawned, and the crawlers
and reader are pickled to them.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import signal
import sys
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any

from modelbom.crawl.files import FileJob, FileResult, failed_result, run_job
from modelbom.crawl.reader import EntryReader
from modelbom.crawlers import Crawler

log = logging.getLogger("modelbom.engine")

Batch = list[tuple[int, FileJob]]
_IN_FLIGHT = 2
_STOP_WAIT = 2.0  # seconds a worker gets to exit before it is killed


def _context() -> BaseContext:
    """Fork on Linux when no other thread runs (macOS system libraries are not safe to
    fork, and a fork copies no thread but the caller's); spawn otherwise."""
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _serve(
    conn: Connection,
    parent_end: Connection | None,
    crawlers: Sequence[Crawler],
    reader: EntryReader,
    max_file_bytes: int,
) -> None:
    """A worker's life: crawl each batch received, send its results, stop on None or EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent_end is not None:
        parent_end.close()  # so that the pipe closes when the main process goes away
    while True:
        try:
            batch: Batch | None = conn.recv()
        except (EOFError, OSError):
            return
        if batch is None:
            return
        results: list[tuple[int, FileResult]] = []
        for index, job in batch:
            try:
                result = run_job(job, crawlers, reader, max_file_bytes)
            except Exception as exc:  # outside the crawler guards: still not the pool's end
                result = failed_result(job.entry, f"crawl failed: {type(exc).__name__}: {exc}")
            results.append((index, result))
        conn.send(results)


@dataclass(slots=True)
class _Worker:
    process: BaseProcess
    conn: Connection
    in_flight: deque[Batch] = field(default_factory=deque)


class WorkerPool:
    """*size* worker processes crawling with copies of *crawlers* and *reader*."""

    def __init__(
        self,
        size: int,
        crawlers: Sequence[Crawler],
        reader: EntryReader,
        max_file_bytes: int,
    ) -> None:
        self._args = (list(crawlers), reader, max_file_bytes)
        self._context = _context()
        self._workers: list[_Worker] = []
        try:
            for _ in range(size):
                self._workers.append(self._start())
        except BaseException:
            self.close()
            raise

    def _start(self) -> _Worker:
        parent_end, child_end = self._context.Pipe(duplex=True)
        forked = self._context.get_start_method() == "fork"
        process: Any = self._context.Process(  # type: ignore[attr-defined]
            target=_serve,
            args=(child_end, parent_end if forked else None, *self._args),
            name="modelbom-crawl",
            daemon=True,
        )
        process.start()
        child_end.close()
        return _Worker(process=process, conn=parent_end)

    def run(self, batches: Sequence[Batch]) -> Iterator[tuple[int, FileResult]]:
        """Crawl every batch; yields ``(index, result)`` pairs as batches finish."""
        waiting = deque(batches)
        for worker in self._workers:
            self._feed(worker, waiting)
        while any(w.in_flight for w in self._workers):
            busy = [w for w in self._workers if w.in_flight]
            ready = multiprocessing.connection.wait(
                [w.conn for w in busy] + [w.process.sentinel for w in busy]
            )
            for worker in busy:
                if worker.conn in ready or (
                    worker.process.sentinel in ready and worker.conn.poll()
                ):
                    try:
                        results: list[tuple[int, FileResult]] = worker.conn.recv()
                    except (EOFError, OSError):
                        yield from self._replace(worker, waiting)
                        continue
                    worker.in_flight.popleft()
                    yield from results
                    self._feed(worker, waiting)
                elif worker.process.sentinel in ready:
                    yield from self._replace(worker, waiting)

    def _feed(self, worker: _Worker, waiting: deque[Batch]) -> None:
        while waiting and len(worker.in_flight) < _IN_FLIGHT:
            batch = waiting.popleft()
            worker.in_flight.append(batch)
            try:
                worker.conn.send(batch)
            except OSError:  # it died: its sentinel says so next, and the batch is lost
                return

    def _replace(self, worker: _Worker, waiting: deque[Batch]) -> Iterator[tuple[int, FileResult]]:
        """A worker died: its batches in flight become Unknowns; a new worker takes over."""
        worker.process.join(timeout=_STOP_WAIT)
        code = worker.process.exitcode
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        log.warning("a crawl worker process died (%s); its files are reported as unknowns", how)
        reason = f"crawl worker process died ({how}) while crawling this file or one next to it"
        lost = list(worker.in_flight)
        worker.in_flight.clear()
        worker.conn.close()
        self._workers.remove(worker)
        for batch in lost:
            for index, job in batch:
                yield index, failed_result(job.entry, reason)
        replacement = self._start()
        self._workers.append(replacement)
        self._feed(replacement, waiting)

    def close(self) -> None:
        """Stop every worker: ask, then terminate, then kill."""
        for worker in self._workers:
            try:
                if not worker.in_flight:
                    worker.conn.send(None)
            except OSError:
                pass
        for worker in self._workers:
            worker.process.join(timeout=0.2 if not worker.in_flight else 0)
            if worker.process.is_alive():
                worker.process.terminate()
                worker.process.join(timeout=_STOP_WAIT)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
        self._workers.clear()

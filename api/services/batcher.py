"""Group commit for `POST /v1/alerts`: requests queue up, one writer stores a batch per commit.

Every request waits for the commit of the batch holding its alert, so an answer always means the
alert is stored. While one batch commits the next one gathers, so batches grow with load.

Where the database lives in this process (SQLite), a batch can be stored right on the event loop:
its statements are CPU work, and handing them to a thread costs more than they do, because the
thread and the loop then take turns at the GIL after every statement (`bench/api.py`: 2,150 vs
2,590 alerts/s before other gains). That quick path never waits for a lock: when another
connection holds the write lock it gives up at once and the batch goes to a thread, which waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from api.db import WriteLockBusyError
from api.errors import ApiError

logger = logging.getLogger(__name__)

GATHER_TURNS = 8
"""Most event-loop turns a batch waits for requests still being read."""

Item = TypeVar("Item")
Result = TypeVar("Result")


class ServiceStoppingError(ApiError):
    """The writer stopped before this alert was stored."""

    status_code = 503


class StoreError(ApiError):
    """Storing the alert failed unexpectedly (logged with its traceback)."""

    status_code = 500


class GroupCommitter(Generic[Item, Result]):
    """Runs `process(batch)` in a worker thread for queued items; each caller awaits its own result.

    `process` must commit before it returns; if it raises, the items are retried one at a time so
    a single bad item cannot sink the others. `quick`, when set (here or later, before `start`),
    is tried first on the event loop itself; it must not block, and raises `WriteLockBusyError`
    (having stored nothing) when it would have to wait, so the batch goes to `process` in a thread.
    `quick_batches` and `thread_batches` count where batches were stored.
    """

    def __init__(
        self,
        process: Callable[[Sequence[Item]], list[Result | ApiError]],
        *,
        max_size: int,
        quick: Callable[[Sequence[Item]], list[Result | ApiError]] | None = None,
    ) -> None:
        self._process = process
        self.quick = quick
        self._max_size = max_size
        self._queue: asyncio.Queue[tuple[Item, asyncio.Future[Result]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.on_batch: Callable[[int], None] = lambda size: None
        self.quick_batches = 0
        self.thread_batches = 0

    def start(self) -> None:
        """Start the writer on the running event loop (or run `run()` under a supervisor instead)."""
        self._task = asyncio.get_running_loop().create_task(self.run(), name="alert-writer")

    async def stop(self) -> None:
        """Stop the writer; items still queued get a 503."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        while not self._queue.empty():
            _, future = self._queue.get_nowait()
            future.set_exception(ServiceStoppingError("the API is shutting down; retry"))

    async def submit(self, item: Item) -> Result:
        """Queue `item` and wait until its batch is committed."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        await self._queue.put((item, future))
        return await future

    async def run(self) -> None:
        """The writer loop: take a batch, store it, answer its callers; never returns.

        If anything ends it (a stop, or a fault outside the per-item handling), every caller of
        the batch in hand is answered first: 503 when stopping, else 500 (a retry with the same
        alert id finds what was committed); callers still queued wait for the next writer.
        """
        while True:
            batch = [await self._queue.get()]
            try:
                await self._gather()
                while len(batch) < self._max_size and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                results = await self._results([item for item, _ in batch])
                self.on_batch(len(batch))
                _answer(batch, results)
            except BaseException as exc:
                stopping = isinstance(exc, asyncio.CancelledError)
                error = (
                    ServiceStoppingError("the API is shutting down; retry")
                    if stopping
                    else StoreError("the alert writer failed; retry")
                )
                _answer(batch, [error] * len(batch))
                raise

    async def _gather(self) -> None:
        """Let the event loop turn while that brings in more requests, so a batch holds what has
        already arrived rather than only what was queued; costs a few loop turns when idle."""
        for _ in range(GATHER_TURNS):
            queued = self._queue.qsize()
            if queued + 1 >= self._max_size:
                return
            await asyncio.sleep(0)
            if self._queue.qsize() == queued:
                return

    async def _store(self, items: list[Item]) -> list[Result | ApiError]:
        if self.quick is not None:
            try:
                results = self.quick(items)
            except WriteLockBusyError:
                logger.debug("write lock busy: this batch of %d waits in a thread", len(items))
            else:
                self.quick_batches += 1
                return results
        results = await asyncio.to_thread(self._process, items)
        self.thread_batches += 1
        return results

    async def _results(self, items: list[Item]) -> list[Result | ApiError | Exception]:
        try:
            return list(await self._store(items))
        except Exception:
            if len(items) == 1:
                logger.exception("storing one alert failed")
                return [StoreError("internal error while storing the alert")]
            logger.warning("a batch of %d failed; retrying one at a time", len(items), exc_info=True)
        return [(await self._results([item]))[0] for item in items]


def _answer(batch: Sequence[tuple[object, asyncio.Future[Result]]], results: Sequence[object]) -> None:
    """Settle each caller's future that is still waiting with its result (or error)."""
    for (_, future), result in zip(batch, results, strict=True):
        if future.done():
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)  # type: ignore[arg-type]

"""The group committer on its own: batches, the quick path on the loop, the thread when the lock is busy."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from api.db import WriteLockBusyError
from api.errors import ApiError
from api.services.batcher import GroupCommitter, ServiceStoppingError, StoreError


class Store:
    """A stand-in for the database writer that records how each batch was stored."""

    def __init__(self, *, busy: bool = False, bad: int | None = None) -> None:
        self.busy = busy
        self.bad = bad
        self.calls: list[tuple[str, list[int]]] = []

    def quick(self, items: Sequence[int]) -> list[str | ApiError]:
        if self.busy:
            raise WriteLockBusyError("database is locked")
        return self._store("loop", items)

    def process(self, items: Sequence[int]) -> list[str | ApiError]:
        return self._store(threading.current_thread().name, items)

    def _store(self, where: str, items: Sequence[int]) -> list[str | ApiError]:
        self.calls.append((where, list(items)))
        if self.bad in items:
            raise RuntimeError(f"item {self.bad} breaks the batch")
        return [f"stored {i}" for i in items]


async def _submit_after(committer: GroupCommitter[int, str], item: int, turns: int) -> str:
    for _ in range(turns):
        await asyncio.sleep(0)
    return await committer.submit(item)


def _run(store: Store, *, quick: bool, items: int, turns: int = 0) -> tuple[list[object], list[int]]:
    sizes: list[int] = []

    async def main() -> list[object]:
        committer = GroupCommitter(store.process, max_size=256, quick=store.quick if quick else None)
        committer.on_batch = sizes.append
        committer.start()
        try:
            jobs = [_submit_after(committer, i, min(i, turns)) for i in range(items)]
            return await asyncio.gather(*jobs, return_exceptions=True)
        finally:
            await committer.stop()

    return asyncio.run(main()), sizes


def test_a_free_lock_stores_the_batch_on_the_loop() -> None:
    store = Store()
    results, _ = _run(store, quick=True, items=3)
    assert results == ["stored 0", "stored 1", "stored 2"]
    assert store.calls == [("loop", [0, 1, 2])]


def test_a_busy_lock_sends_the_batch_to_a_thread_that_waits() -> None:
    store = Store(busy=True)
    results, _ = _run(store, quick=True, items=3)
    assert results == ["stored 0", "stored 1", "stored 2"]
    assert len(store.calls) == 1
    where, items = store.calls[0]
    assert where not in ("loop", threading.main_thread().name)
    assert items == [0, 1, 2]


def test_without_a_quick_path_every_batch_goes_to_a_thread() -> None:
    store = Store()
    _run(store, quick=False, items=2)
    assert [where for where, _ in store.calls] != ["loop"]
    assert all(where != threading.main_thread().name for where, _ in store.calls)


def test_requests_still_arriving_join_the_batch() -> None:
    # Item i is submitted i loop turns late, as requests still being read would be.
    store = Store()
    results, sizes = _run(store, quick=True, items=4, turns=3)
    assert results == [f"stored {i}" for i in range(4)]
    assert sizes == [4]


def test_one_bad_alert_does_not_sink_its_batch() -> None:
    store = Store(bad=1)
    results, _ = _run(store, quick=True, items=3)
    assert results[0] == "stored 0"
    assert isinstance(results[1], StoreError)
    assert results[2] == "stored 2"


def test_stopping_answers_queued_alerts_with_503() -> None:
    async def main() -> object:
        committer: GroupCommitter[int, str] = GroupCommitter(Store().process, max_size=8)
        waiting = asyncio.ensure_future(committer.submit(1))  # never started: nothing takes it
        await asyncio.sleep(0)
        await committer.stop()
        (answer,) = await asyncio.gather(waiting, return_exceptions=True)
        return answer

    error = asyncio.run(main())
    assert isinstance(error, ServiceStoppingError)
    assert error.status_code == 503


@pytest.mark.parametrize("size", [1, 5])
def test_batches_never_exceed_the_maximum(size: int) -> None:
    sizes: list[int] = []

    async def main() -> None:
        committer = GroupCommitter(Store().process, max_size=size, quick=Store().quick)
        committer.on_batch = sizes.append
        committer.start()
        await asyncio.gather(*(committer.submit(i) for i in range(12)))
        await committer.stop()

    asyncio.run(main())
    assert sum(sizes) == 12
    assert max(sizes) <= size


def test_stopping_mid_batch_answers_the_batch_with_503() -> None:
    release = threading.Event()

    def slow(items: Sequence[int]) -> list[str | ApiError]:
        release.wait(5)
        return [f"stored {i}" for i in items]

    async def main() -> list[object]:
        committer: GroupCommitter[int, str] = GroupCommitter(slow, max_size=8)
        committer.start()
        waiting = [asyncio.ensure_future(committer.submit(i)) for i in range(3)]
        for _ in range(20):  # until the writer has taken the batch into its thread
            await asyncio.sleep(0.01)
        await committer.stop()
        release.set()
        # Unanswered futures would hang here for good; the timeout turns that into a failure.
        return await asyncio.wait_for(asyncio.gather(*waiting, return_exceptions=True), timeout=5)

    answers = asyncio.run(main())
    assert len(answers) == 3
    assert all(isinstance(a, ServiceStoppingError) for a in answers)

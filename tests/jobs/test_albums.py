"""An album's photos arrive as separate updates; the first caller gets them all once the album is quiet."""

from __future__ import annotations

import asyncio

from bot.jobs.albums import AlbumCollector

QUIET = 0.05


async def test_the_first_part_gets_the_whole_album_in_arrival_order_and_the_rest_get_none() -> None:
    albums: AlbumCollector[str] = AlbumCollector(QUIET)
    results = await asyncio.gather(*(albums.add(1, "g1", part) for part in ("a", "b", "c")))
    assert results == [["a", "b", "c"], None, None]


async def test_albums_are_kept_apart_by_chat_and_group() -> None:
    albums: AlbumCollector[str] = AlbumCollector(QUIET)
    results = await asyncio.gather(
        albums.add(1, "g1", "a"),
        albums.add(2, "g1", "b"),  # the same media group id in another chat
        albums.add(1, "g2", "c"),
        albums.add(1, "g1", "d"),
    )
    assert list(results) == [["a", "d"], ["b"], ["c"], None]


async def test_a_finished_album_is_forgotten() -> None:
    albums: AlbumCollector[str] = AlbumCollector(QUIET)
    assert await albums.add(1, "g1", "a") == ["a"]
    assert await albums.add(1, "g1", "late") == ["late"]


async def test_a_part_arriving_while_the_album_waits_pushes_the_deadline_back() -> None:
    quiet = 1.0  # long enough that the second part surely arrives while the first waits
    albums: AlbumCollector[str] = AlbumCollector(quiet)
    loop = asyncio.get_running_loop()
    started = loop.time()
    first = asyncio.create_task(albums.add(1, "g1", "a"))
    await asyncio.sleep(0.1)
    second_at = loop.time()
    assert await albums.add(1, "g1", "b") is None
    assert await first == ["a", "b"]
    assert loop.time() - second_at >= quiet  # quiet counted from the last part, not the first
    assert loop.time() - started >= quiet + 0.1


async def test_a_cancelled_wait_leaves_no_album_behind() -> None:
    albums: AlbumCollector[str] = AlbumCollector(QUIET)
    waiting = asyncio.create_task(albums.add(1, "g1", "a"))
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    assert await albums.add(1, "g1", "b") == ["b"]

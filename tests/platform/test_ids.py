"""Ids: UUIDv7s that behave as any UUID, increase within the process and carry the time."""

from __future__ import annotations

import itertools
import os
import pickle
import time
import uuid

from liquibond.platform.db import new_id


def test_ids_are_version_7_uuids_like_any_other() -> None:
    made = new_id()
    parsed = uuid.UUID(str(made))
    assert made.version == 7 and made.variant == uuid.RFC_4122
    assert made == parsed and hash(made) == hash(parsed) and made.bytes == parsed.bytes
    assert pickle.loads(pickle.dumps(made)) == made
    assert {made: 1}[parsed] == 1


def test_ids_increase_and_carry_the_millisecond_they_were_made() -> None:
    before = time.time_ns() // 1_000_000
    ids = [new_id() for _ in range(50_000)]  # many per millisecond
    after = time.time_ns() // 1_000_000
    assert all(a.int < b.int for a, b in itertools.pairwise(ids))
    assert all(made.version == 7 and made.variant == uuid.RFC_4122 for made in ids)
    stamps = [made.int >> 80 for made in ids]
    assert before <= stamps[0] and stamps[-1] <= after


def test_a_forked_child_makes_other_ids_than_its_parent() -> None:
    new_id()  # the parent has random bytes in hand
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        os.write(write, new_id().bytes)
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    childs = uuid.UUID(bytes=os.read(read, 16))
    os.close(read)
    mine = new_id()
    random_part = (1 << 62) - 1
    assert childs.int & random_part != mine.int & random_part

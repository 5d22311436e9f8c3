"""The snapshot store: append-only, atomic, and consistent even when a writer is SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import make_meta
from tracker.models import SnapshotMeta
from tracker.store import Store, StoreError, content_key


def meta(doc: str, when: datetime, raw: bytes, text: str, store: Store) -> SnapshotMeta:
    return make_meta(store, doc, when, raw, text)


def test_write_then_load(tmp_path: Path) -> None:
    store = Store(tmp_path)
    when = datetime(2024, 1, 15, tzinfo=UTC)
    snap = store.write(meta("doc", when, b"raw", "text\n", store), b"raw", "text\n")
    assert snap.id == "20240115T000000Z"
    (loaded,) = store.snapshots("doc")
    assert loaded.raw() == b"raw" and loaded.text() == "text\n"
    assert store.verify("doc") == []


def test_same_second_gets_a_distinct_id_and_nothing_is_rewritten(tmp_path: Path) -> None:
    store = Store(tmp_path)
    when = datetime(2024, 1, 15, tzinfo=UTC)
    first = store.write(meta("doc", when, b"a", "a\n", store), b"a", "a\n")
    second = store.write(meta("doc", when, b"b", "b\n", store), b"b", "b\n")
    assert (first.id, second.id) == ("20240115T000000Z", "20240115T000000Z-2")
    clash = meta("doc", when, b"c", "c\n", store).model_copy(update={"id": first.id})
    with pytest.raises(StoreError, match="never rewritten"):
        store.write(clash, b"c", "c\n")
    assert store.snapshots("doc")[0].raw() == b"a"


def test_temporary_folders_are_invisible_and_swept(tmp_path: Path) -> None:
    store = Store(tmp_path)
    folder = store.folder("doc")
    (folder / ".tmp-20240101T000000Z.999999999").mkdir(parents=True)
    (folder / ".tmp-20240101T000000Z.999999999" / "raw.txt").write_bytes(b"half")
    assert store.snapshots("doc") == []
    store.write(meta("doc", datetime(2024, 2, 1, tzinfo=UTC), b"x", "x\n", store), b"x", "x\n")
    assert not any(p.name.startswith(".tmp-") for p in folder.iterdir())


def test_content_key_ignores_line_breaks_not_words() -> None:
    assert content_key("a b\n\nc\n") == content_key("a\nb c")
    assert content_key("we will") != content_key("we may")


WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime, timedelta
    from pathlib import Path
    sys.path.insert(0, {repo!r})
    from tests.test_store import meta
    from tracker.store import Store
    store = Store(Path({root!r}))
    raw = bytes(range(256)) * 8192  # 2 MB, so a kill lands mid-write often
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for i in range(10_000):
        when = start + timedelta(minutes=i + {offset})
        text = f"version {{i}}\\n"
        store.write(meta("doc", when, raw, text, store), raw, text)
        print(i, flush=True)
    """
)


def test_sigkill_mid_write_never_corrupts_the_store(tmp_path: Path) -> None:
    repo = str(Path(__file__).resolve().parent.parent)
    kills = 0
    for round_ in range(12):
        script = WRITER.format(repo=repo, root=str(tmp_path), offset=round_ * 100_000)
        proc = subprocess.Popen(
            [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert proc.stdout is not None
        proc.stdout.readline()  # at least one write completed
        time.sleep(0.01 * (round_ % 5))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        kills += proc.returncode == -signal.SIGKILL
        store = Store(tmp_path)
        snapshots = store.snapshots("doc")  # loads: every visible folder is complete
        assert snapshots
        assert store.verify("doc") == []
        for snap in snapshots:
            assert sorted(p.name for p in snap.folder.iterdir()) == [
                "meta.json",
                "raw.txt",
                "text.md",
            ]
    assert kills == 12

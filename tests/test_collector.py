"""pressctl.collector: the collector paused and data frozen only for the block, whatever the block raises."""

from __future__ import annotations

import gc

import pytest

from pressctl.collector import frozen, without_gc


def test_without_gc_pauses_the_collector_and_restores_what_it_found() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), without_gc():
        assert not gc.isenabled()
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with without_gc():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def test_frozen_keeps_what_is_alive_out_of_collections_until_the_block_ends() -> None:
    before = gc.get_freeze_count()
    kept = [[n] for n in range(1000)]
    with pytest.raises(RuntimeError), frozen():
        assert gc.get_freeze_count() >= before + len(kept)
        cycle: list[object] = []
        cycle.append(cycle)  # made inside the block: still collected there
        del cycle
        assert gc.collect() >= 1
        raise RuntimeError
    assert gc.get_freeze_count() == 0
    assert kept[999] == [999]


def test_a_merge_leaves_nothing_frozen(workspace) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from pressctl.cli import app

    result = CliRunner().invoke(app, ["render", "releases/2024-06-26-three-port-wage-deal.md", "--format", "eml",
                                      "--audience", "press-eu", "--mbox", "out.mbox"])
    assert result.exit_code == 0, result.output
    assert gc.get_freeze_count() == 0 and gc.isenabled()

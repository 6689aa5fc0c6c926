"""The processing jobs' collector thresholds are set for the run and given back afterwards."""

from __future__ import annotations

import gc

import pytest

from services.gc_tuning import PROCESSING_THRESHOLDS, processing_gc


def test_processing_gc_sets_the_thresholds_and_restores_them_even_on_error() -> None:
    before = gc.get_threshold()
    assert before != PROCESSING_THRESHOLDS
    with pytest.raises(RuntimeError), processing_gc():
        assert gc.get_threshold() == PROCESSING_THRESHOLDS
        raise RuntimeError("the run failed")
    assert gc.get_threshold() == before

"""The relay between the Playground's training process and the UI thread: frames that arrive while the UI is busy
are held and merged, so at most one waits in Qt's event queue and no loss row is lost."""

from __future__ import annotations

import numpy as np

from ganstudio.core.playground.config import PlaygroundConfig
from ganstudio.core.playground.session import TrainingFrame
from ganstudio.gui.playground_worker import merge_frames
from tests.core.test_playground_session import TINY, play_until


def test_frames_held_for_a_busy_ui_merge_into_the_newest_with_every_loss_row():
    frames = play_until([PlaygroundConfig(**TINY)], 30)
    playing = [f for f in frames if f.generation == frames[-1].generation]
    merged = None
    for frame in playing:
        merged = merge_frames(merged, frame)
    assert merged is not None and merged.weights is playing[-1].weights
    steps = merged.rows[0][:, 0]
    np.testing.assert_array_equal(steps, np.arange(1, len(steps) + 1))
    assert merged.settled  # the first (settled) frame asks for coverage: the merge keeps asking
    older = TrainingFrame(merged.generation - 1, merged.configs, None, merged.weights, merged.rows, False, 0.0, False)
    assert merge_frames(older, frames[0]) is frames[0]  # an earlier generation's rows are dropped

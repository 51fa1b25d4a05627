import numpy as np
import pytest
import torch

from hwr_core.charset import CTCCodec
from hwr_core.modelfile import new_bundle
from hwr_core.recognizer import WIDTH_BUCKET, Recognizer, padded_width


@pytest.mark.parametrize(("width", "padded"), [(1, 32), (32, 32), (33, 64), (800, 800), (801, 832)])
def test_padded_width_rounds_up_to_the_bucket(width, padded):
    assert WIDTH_BUCKET == 32
    assert padded_width(width) == padded


def test_network_sees_bucketed_widths_but_results_keep_their_own_length(monkeypatch):
    rec = Recognizer(new_bundle("tiny", CTCCodec()))
    seen: list[tuple[int, ...]] = []
    logits = rec.logits
    monkeypatch.setattr(rec, "logits", lambda batch: seen.append(batch.shape) or logits(batch))
    image = np.full((40, 300), 255, np.uint8)
    image[15:25, 20:270] = 0  # one dark bar: some ink, so the model runs
    result = rec.recognize(image)
    assert len(seen) == 1 and seen[0][3] % WIDTH_BUCKET == 0
    true_width = result.model_input.shape[1]
    assert seen[0][3] >= true_width
    lengths = rec.bundle.model.output_lengths(torch.tensor([true_width, seen[0][3]])).tolist()
    assert result.probs.shape[0] == lengths[0]  # the padding's timesteps are cut off
    assert true_width % WIDTH_BUCKET != 0 and lengths[1] > lengths[0]  # (so there was padding to cut)

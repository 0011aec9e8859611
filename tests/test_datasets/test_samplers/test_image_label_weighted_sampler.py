# Copyright (c) docseg_mm contributors. All rights reserved.
"""Image-label weighted resampling (SLRNet's COCO sampler)."""
import numpy as np
import pytest

from docseg_mm.datasets.samplers.image_label_weighted_sampler import (
    ImageLabelWeightedSampler, image_label_weights)


class Labels:
    """A dataset stand-in holding only ``img_labels``."""

    def __init__(self, labels):
        self.labels = labels

    def __len__(self):
        return len(self.labels)

    def get_data_info(self, i):
        return dict(img_labels=self.labels[i])


LABELS = [[1, 0], [1, 0], [1, 0], [0, 1], [0, 0]]


def test_weights_formula():
    # n = (3, 1); w_c = 4 / (n_c + 1) = (1, 2); image: w_c / 2, 0 if empty
    w = image_label_weights(np.array(LABELS, np.float64))
    assert w.tolist() == [0.5, 0.5, 0.5, 1.0, 0.0]


def test_draw_frequencies_follow_the_weights():
    sampler = ImageLabelWeightedSampler(Labels(LABELS), num_samples=20000,
                                        seed=3)
    draws = np.array(list(iter(sampler)))
    assert len(draws) == len(sampler) == 20000
    freq = np.bincount(draws, minlength=5) / len(draws)
    # weights 0.5, 0.5, 0.5, 1, 0 -> probabilities 1/5, 1/5, 1/5, 2/5, 0
    assert freq == pytest.approx([0.2, 0.2, 0.2, 0.4, 0.0], abs=0.015)
    # the same epoch draws the same indices, another epoch others
    assert list(iter(sampler)) == draws.tolist()
    sampler.set_epoch(1)
    assert list(iter(sampler)) != draws.tolist()

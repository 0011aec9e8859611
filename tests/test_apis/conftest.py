# Copyright (c) docseg_mm contributors. All rights reserved.
import pytest
import torch

from .model_helpers import DEMO_MASK_RCNN, write_random_checkpoint
from .pdf_helpers import make_test_pdf


@pytest.fixture(autouse=True, scope='package')
def one_thread():
    """Tiny models run faster single-threaded on a shared 2-core CPU."""
    num = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(num)


@pytest.fixture(scope='package')
def test_pdf(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp('pdf') / 'three_pages.pdf')
    make_test_pdf(path)
    return path


@pytest.fixture(scope='package')
def mask_rcnn(tmp_path_factory):
    """The demo Mask R-CNN config with random weights (seed 0)."""
    path = str(tmp_path_factory.mktemp('ckpt') / 'mask_rcnn_random.pth')
    return DEMO_MASK_RCNN, write_random_checkpoint(DEMO_MASK_RCNN, path)

# Copyright (c) docseg_mm contributors. All rights reserved.
import os.path as osp
from typing import Optional, Sequence

import mmcv
from mmengine.fileio import get
from mmseg.engine.hooks import SegVisualizationHook

from docseg_mm.registry import HOOKS


@HOOKS.register_module()
class SegVisualizationWithDirHook(SegVisualizationHook):
    """mmseg's ``SegVisualizationHook`` plus ``test_out_dir``.

    ``tools/test.py --show-dir DIR`` sets ``test_out_dir``: every test image
    is drawn (ground truth | prediction) and written to
    ``<work_dir>/<timestamp>/DIR/<image name>``, like mmdet's hook.

    Args:
        test_out_dir (str, optional): Defaults to None (drawings go to the
            visualizer's backends every ``interval`` iterations, as mmseg).
        **kwargs: ``SegVisualizationHook`` arguments.
    """

    def __init__(self, test_out_dir: Optional[str] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.test_out_dir = test_out_dir

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict,
                        outputs: Sequence) -> None:
        """Draw every test image into ``test_out_dir`` when it is set."""
        if self.test_out_dir is None:
            return super().after_test_iter(runner, batch_idx, data_batch,
                                           outputs)
        if not self.draw:
            return
        out_dir = osp.join(runner.work_dir, runner.timestamp,
                           self.test_out_dir)
        for output in outputs:
            img = mmcv.imfrombytes(
                get(output.img_path, backend_args=self.backend_args),
                channel_order='rgb')
            name = osp.basename(output.img_path)
            self._visualizer.add_datasample(
                f'test_{name}', img, data_sample=output, show=self.show,
                wait_time=self.wait_time,
                out_file=osp.join(out_dir, osp.splitext(name)[0] + '.png'))

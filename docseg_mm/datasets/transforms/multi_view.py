# Copyright (c) docseg_mm contributors. All rights reserved.
"""mmpretrain's MultiView that also keeps per-view keys besides ``img``."""
import copy
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmpretrain.datasets.transforms import MultiView

from docseg_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class MultiViewWithKeys(MultiView):
    """Multiple views of a page, keeping per-view ``keys`` as well.

    mmpretrain's ``MultiView`` returns only each view's ``img`` (as a list);
    whatever else a view pipeline adds (e.g. ``layout_mask`` and
    ``object_masks`` from :class:`LayoutMaskToGrid`) is dropped. This
    wrapper also collects ``results[key]`` of every view for each of
    ``keys``; all other keys are those of the input, as in ``MultiView``.

    With ``stack=True`` the per-view values of a key are stacked along a new
    first (view) axis into one ``torch.Tensor`` (numpy arrays are
    converted): ``layout_mask`` ``(V, h, w)`` float32, ``object_masks``
    ``(V, N, h, w)`` uint8. Stacking needs one shape in every view, which
    also catches a different object count ``N`` between views (e.g.
    ``objects_on='grid'`` with views of different geometry). With
    ``stack=False`` each key holds a list with one value per view.

    A view pipeline returning None makes the whole sample None.

    Args:
        transforms (list[list[dict | callable]]): View pipelines, as in
            ``MultiView``.
        num_views (int | list[int]): Views per pipeline, as in
            ``MultiView``.
        keys (Sequence[str]): Per-view keys to keep besides ``img``.
            Defaults to ``('layout_mask', 'object_masks')``.
        stack (bool): Stack the views of each key into a tensor.
            Defaults to True.
    """

    def __init__(self,
                 transforms: List[list],
                 num_views: Union[int, List[int]],
                 keys: Sequence[str] = ('layout_mask', 'object_masks'),
                 stack: bool = True) -> None:
        super().__init__(transforms=transforms, num_views=num_views)
        self.keys = tuple(keys)
        self.stack = stack

    def _stack(self, key: str, values: list) -> torch.Tensor:
        shapes = {tuple(v.shape) for v in values}
        if len(shapes) > 1:
            raise ValueError(
                f'views disagree on the shape of {key!r}: {sorted(shapes)}; '
                'per-object masks computed per view (objects_on="grid") '
                'differ when the views have different geometry, use '
                'objects_on="image" or stack=False')
        return torch.stack([torch.as_tensor(np.asarray(v)) for v in values])

    def transform(self, results: dict) -> Optional[dict]:
        """Run every view pipeline on a copy of ``results``.

        Args:
            results (dict): Result dict from previous pipelines.

        Returns:
            dict | None: ``results`` with ``img`` and ``keys`` as per-view
            values.
        """
        outputs = dict(img=[], **{key: [] for key in self.keys})
        for trans in self.transforms:
            view = trans(copy.deepcopy(results))
            if view is None:
                return None
            for key in outputs:
                if key not in view:
                    raise KeyError(f'view pipeline did not produce {key!r}')
                outputs[key].append(view[key])
        if self.stack:
            for key in self.keys:
                outputs[key] = self._stack(key, outputs[key])
        results.update(outputs)
        return results

    def __repr__(self) -> str:
        return (super().__repr__()[:-1] +
                f'\nkeys={self.keys}, stack={self.stack})')

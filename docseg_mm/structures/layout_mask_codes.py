# Copyright (c) docseg_mm contributors. All rights reserved.
"""Pixel codes of a pseudo-layout object-id map (``gt_seg_map``, uint16).

* ``0``: background;
* ``k`` (``1 <= k <= MAX_OBJECTS``): ink of object ``k``;
* ``k + HOLE_FLAG``: a hole inside object ``k`` (not ink, but inside the
  object's filled external contour).

So ``ink = (v != 0) & (v < HOLE_FLAG)`` and ``object_id = v & MAX_OBJECTS``.
The transforms that write such maps and the models that read them (e.g.
AlignSeg's layout-mask foreground hint) share these codes.
"""

HOLE_FLAG = 1 << 15
MAX_OBJECTS = HOLE_FLAG - 1

__all__ = ['HOLE_FLAG', 'MAX_OBJECTS']

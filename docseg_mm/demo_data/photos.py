# Copyright (c) docseg_mm contributors. All rights reserved.
"""Photographs from the sample images that installed packages ship
(scikit-image's ``skimage/data`` and matplotlib's ``sample_data``), cropped,
flipped and toned per use. Nothing is downloaded."""
import os.path as osp
from functools import lru_cache
from typing import List

import cv2
import numpy as np

#: Photographs (and photo-like scientific images) in the two packages.
SKIMAGE_PHOTOS = ('astronaut.png', 'chelsea.png', 'coffee.png', 'rocket.jpg',
                  'motorcycle_left.png', 'hubble_deep_field.jpg',
                  'retina.jpg', 'camera.png', 'moon.png', 'coins.png',
                  'ihc.png', 'brick.png', 'grass.png', 'gravel.png',
                  'cell.png', 'immunohistochemistry.png', 'page.png')
MPL_PHOTOS = ('grace_hopper.jpg', )


@lru_cache(None)
def photo_files() -> List[str]:
    """Paths of the available photographs (sorted, so deterministic)."""
    out = []
    try:
        import skimage
        d = osp.join(osp.dirname(skimage.__file__), 'data')
        out += [osp.join(d, n) for n in SKIMAGE_PHOTOS
                if osp.isfile(osp.join(d, n))]
    except ImportError:  # pragma: no cover - scikit-image is a requirement
        pass
    import matplotlib
    d = osp.join(matplotlib.get_data_path(), 'sample_data')
    out += [osp.join(d, n) for n in MPL_PHOTOS if osp.isfile(osp.join(d, n))]
    if not out:
        raise FileNotFoundError('no sample photographs found in scikit-image '
                                'or matplotlib')
    return sorted(out)


@lru_cache(None)
def _load(path: str) -> np.ndarray:
    from PIL import Image
    try:
        with Image.open(path) as im:
            return np.ascontiguousarray(np.asarray(im.convert('RGB')))
    except OSError as e:
        raise OSError(f'cannot read sample image {path}: {e}') from e


def photo(rng: np.random.Generator, w_px: int, h_px: int) -> np.ndarray:
    """A photograph cropped to the aspect ``w_px / h_px`` and resized.

    Args:
        rng (np.random.Generator): Random source.
        w_px (int): Output width.
        h_px (int): Output height.

    Returns:
        np.ndarray: ``uint8`` RGB image of shape ``(h_px, w_px, 3)``.
    """
    files = photo_files()
    img = _load(files[int(rng.integers(len(files)))])
    H, W = img.shape[:2]
    aspect = w_px / max(h_px, 1)
    zoom = float(rng.uniform(0.6, 1.0))
    cw = min(W, int(round(H * aspect)))
    ch = min(H, int(round(cw / aspect)))
    cw, ch = max(8, int(cw * zoom)), max(8, int(ch * zoom))
    x0 = int(rng.integers(0, W - cw + 1))
    y0 = int(rng.integers(0, H - ch + 1))
    crop = img[y0:y0 + ch, x0:x0 + cw]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    out = cv2.resize(crop, (w_px, h_px), interpolation=cv2.INTER_AREA)
    r = rng.random()
    if r < 0.2:
        g = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY)
        out = np.repeat(g[..., None], 3, axis=2)
    elif r < 0.3:
        tone = np.array([1.0, 0.9, 0.75])
        out = np.clip(out * tone, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(out)

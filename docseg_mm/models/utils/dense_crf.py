# Copyright (c) docseg_mm contributors. All rights reserved.
"""Fully connected CRF post-processing (Kraehenbuehl & Koltun, 2011).

Uses the ``pydensecrf`` module of the ``pydensecrf2`` package (a maintained
fork of lucasb-eyer/pydensecrf that builds on Python 3.11 and numpy 2).
"""
import numpy as np

#: SLRNet's (and PSA's) CRF parameters (``utils/dcrf.py``).
SLRNET_CRF = dict(
    iters=10, gauss_sxy=3, gauss_compat=3, bi_sxy=80, bi_srgb=13,
    bi_compat=10)


def dense_crf(image: np.ndarray,
              probs: np.ndarray,
              iters: int = 10,
              gauss_sxy: float = 3,
              gauss_compat: float = 3,
              bi_sxy: float = 80,
              bi_srgb: float = 13,
              bi_compat: float = 10) -> np.ndarray:
    """Run dense-CRF mean-field inference on soft class scores.

    The unary is ``-log(probs)`` (``pydensecrf.utils.unary_from_softmax``;
    the scores need not sum to 1, as in SLRNet after class filtering).

    Args:
        image (np.ndarray): ``(H, W, 3)`` ``uint8`` image (RGB).
        probs (np.ndarray): ``(C, H, W)`` scores in ``[0, 1]``.
        iters (int): Mean-field iterations. Defaults to 10.
        gauss_sxy (float): Smoothness kernel width. Defaults to 3.
        gauss_compat (float): Smoothness weight. Defaults to 3.
        bi_sxy (float): Appearance kernel spatial width. Defaults to 80.
        bi_srgb (float): Appearance kernel colour width. Defaults to 13.
        bi_compat (float): Appearance weight. Defaults to 10.

    Returns:
        np.ndarray: ``(C, H, W)`` float32 marginals.

    Raises:
        ImportError: If ``pydensecrf2`` is not installed.
    """
    try:
        import pydensecrf.densecrf as dcrf
        from pydensecrf.utils import unary_from_softmax
    except ImportError as e:  # pragma: no cover - depends on the install
        raise ImportError(
            'dense CRF post-processing needs the pydensecrf2 package '
            '(pip install pydensecrf2)') from e
    c, h, w = probs.shape
    if image.shape[:2] != (h, w):
        raise ValueError(f'image {image.shape[:2]} and scores {(h, w)} '
                         'differ in size')
    crf = dcrf.DenseCRF2D(w, h, c)
    unary = unary_from_softmax(np.ascontiguousarray(probs, np.float32))
    crf.setUnaryEnergy(np.ascontiguousarray(unary))
    crf.addPairwiseGaussian(sxy=gauss_sxy, compat=gauss_compat)
    crf.addPairwiseBilateral(
        sxy=bi_sxy, srgb=bi_srgb,
        rgbim=np.ascontiguousarray(image, np.uint8), compat=bi_compat)
    q = crf.inference(iters)
    return np.asarray(q, np.float32).reshape(c, h, w)

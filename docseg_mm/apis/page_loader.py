# Copyright (c) docseg_mm contributors. All rights reserved.
"""Load the pages of :class:`PageSource` s as images.

Image files go through docseg_mm's loaders (``LoadDocImageFromFile``, and
``LoadTiffPage`` for the frames of multi-page TIFFs), whose errors name the
file; PDF pages are rendered by :class:`PdfPageReader`. Every failure of
one page becomes a :class:`PageError` and the run goes on.
"""
from dataclasses import dataclass
from typing import Optional, Union

import numpy as np

from docseg_mm.datasets.transforms import LoadDocImageFromFile, LoadTiffPage
from .pdf_pages import PdfPageInfo, PdfPageReader, PdfTextLayer
from .sources import PageError, PageSource

#: Smallest page side (pixels) that is predicted.
MIN_SIDE = 2


@dataclass
class LoadedPage:
    """A page image and what is known about where it came from.

    Attributes:
        source (PageSource): The page.
        img (np.ndarray): ``(H, W, 3)`` BGR ``uint8``.
        pdf (PdfPageInfo, optional): Geometry of a rendered PDF page.
        text (PdfTextLayer, optional): Text layer of a PDF page.
    """
    source: PageSource
    img: np.ndarray
    pdf: Optional[PdfPageInfo] = None
    text: Optional[PdfTextLayer] = None


class PageLoader:
    """Turn page sources into images.

    Args:
        dpi (float): PDF rendering resolution. Defaults to 150.
        with_text (bool): Read the text layer of PDF pages.
            Defaults to True.
    """

    def __init__(self, dpi: float = 150., with_text: bool = True) -> None:
        self.pdf = PdfPageReader(dpi=dpi, with_text=with_text)
        self._image = LoadDocImageFromFile(check_size=False)
        self._tiff = LoadTiffPage()

    def _read(self, src: PageSource) -> LoadedPage:
        if src.kind == 'pdf':
            img, info, text = self.pdf.render(src.path, src.page)
            return LoadedPage(src, img, info, text)
        if src.kind == 'array':
            img = np.asarray(src.array)
            if img.ndim == 2:
                img = np.repeat(img[..., None], 3, axis=2)
            if img.ndim != 3 or img.shape[2] not in (3, 4):
                raise ValueError(f'array of shape {img.shape} is not an '
                                 '(H, W[, 3]) image')
            return LoadedPage(src, np.ascontiguousarray(img[..., :3]))
        if src.kind == 'tiff':
            results = self._tiff(dict(img_path=src.path, page=src.page - 1))
        else:
            results = self._image(dict(img_path=src.path))
        img = results['img']
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        return LoadedPage(src, img)

    def load(self, src: PageSource) -> Union[LoadedPage, PageError]:
        """Load one page; a failure comes back as a :class:`PageError`."""
        try:
            page = self._read(src)
        except Exception as e:  # every page-level failure is reported
            msg = str(e) or type(e).__name__
            return PageError(src.path or src.where(), src.page, msg)
        h, w = page.img.shape[:2]
        if min(h, w) < MIN_SIDE:
            return PageError(src.path or src.where(), src.page,
                             f'zero-size image ({w} x {h} px)')
        return page

    def close(self) -> None:
        """Close open PDF documents."""
        self.pdf.close()

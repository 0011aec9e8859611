# Copyright (c) docseg_mm contributors. All rights reserved.
"""What a user points the inferencer at, expanded into pages.

Inputs are image files, folders (walked recursively), glob patterns, PDF
files and in-memory images (``np.ndarray``). :func:`collect_sources` turns
them into one :class:`PageSource` per page (a PDF gives one per selected
page, a multi-page TIFF one per frame) and one :class:`PageError` per input
that cannot be used (missing file, empty folder, encrypted or broken PDF, a
requested page the file does not have). URLs are refused up front
(:func:`check_inputs`): nothing is downloaded.
"""
import glob
import os
import os.path as osp
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .pdf_pages import count_pdf_pages

#: File name extensions of page images found in folders and globs.
IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp',
                    '.jp2', '.pbm', '.pgm', '.ppm')
#: Extensions read with Pillow page by page (multi-page scans).
TIFF_EXTENSIONS = ('.tif', '.tiff')
PDF_EXTENSION = '.pdf'
_URL = re.compile(r'^[a-zA-Z][a-zA-Z0-9+.-]*://')
_GLOB_CHARS = re.compile(r'[*?[]')

InputType = Union[str, np.ndarray]


class InputError(ValueError):
    """An input the inferencer refuses as a whole (e.g. a URL)."""


@dataclass
class PageError:
    """A page (or a whole input) that could not be processed.

    Attributes:
        path (str): The input file (or pattern / folder).
        page (int, optional): 1-based page number; None for the whole file.
        message (str): What went wrong.
    """
    path: str
    page: Optional[int]
    message: str

    def __str__(self) -> str:
        where = self.path if self.page is None else \
            f'{self.path} (page {self.page})'
        return f'{where}: {self.message}'

    def to_dict(self) -> Dict:
        """JSON-friendly form."""
        return dict(path=self.path, page=self.page, message=self.message)


@dataclass
class PageSource:
    """One page to predict.

    Attributes:
        path (str): Image or PDF file ('' for an in-memory image).
        kind (str): ``'image'``, ``'tiff'`` (a frame of a TIFF), ``'pdf'``
            or ``'array'``.
        page (int, optional): 1-based page (PDF, TIFF) or None.
        file_name (str): Relative name used in the COCO results file (the
            path below the folder given, the file name of a single file, or
            ``pages/<name>.png`` for pages rendered from a PDF).
        name (str): Unique stem of this page's output files.
        index (int): Position in the run (input order).
        array (np.ndarray, optional): The image of an ``'array'`` input.
    """
    path: str
    kind: str
    page: Optional[int]
    file_name: str
    name: str = ''
    index: int = 0
    array: Optional[np.ndarray] = None

    def where(self) -> str:
        """``path`` or ``path (page n)``, for messages."""
        return str(PageError(self.path or f'<array {self.index}>', self.page,
                             '')).rstrip(': ')


def is_url(value: str) -> bool:
    """Whether ``value`` looks like a URL (``scheme://...``)."""
    return bool(_URL.match(value))


def check_inputs(inputs: Sequence[InputType]) -> None:
    """Refuse URLs before anything is loaded.

    Raises:
        InputError: Naming every URL given.
    """
    urls = [i for i in inputs if isinstance(i, str) and is_url(i)]
    if urls:
        raise InputError(
            'URLs are not supported as inputs (nothing is downloaded): '
            + ', '.join(urls) + '. Download the files and pass their '
            'local paths, folders or glob patterns.')


def parse_pages(spec: Optional[str]) -> Optional[List[int]]:
    """Parse a page selection such as ``'1-3,7'`` or ``'5-'``.

    Args:
        spec (str, optional): Comma-separated 1-based pages and ranges
            (``a-b``, open-ended ``a-``). None or ``''`` means every page.

    Returns:
        list[int] | None: Sorted unique pages; a trailing ``-1`` marks an
        open range ``a-`` (every page from ``a`` on). None for every page.

    Raises:
        ValueError: For a malformed selection.
    """
    if spec is None or not str(spec).strip():
        return None
    pages, open_from = set(), None
    for part in str(spec).split(','):
        part = part.strip()
        m = re.fullmatch(r'(\d+)(?:\s*-\s*(\d*))?', part)
        if not m:
            raise ValueError(f'bad page selection {spec!r}: {part!r} is not '
                             'a page or a range like 1-3 or 5-')
        first = int(m.group(1))
        last = m.group(2)
        if first < 1:
            raise ValueError(f'bad page selection {spec!r}: pages start at 1')
        if last is None:
            pages.add(first)
        elif last == '':
            open_from = first if open_from is None else min(open_from, first)
        else:
            if int(last) < first:
                raise ValueError(f'bad page selection {spec!r}: range '
                                 f'{part!r} ends before it starts')
            pages.update(range(first, int(last) + 1))
    out = sorted(pages)
    return out + [-open_from] if open_from is not None else out


def select_pages(selection: Optional[List[int]],
                 num_pages: int) -> Tuple[List[int], List[int]]:
    """Pages of a ``num_pages`` document picked by :func:`parse_pages`.

    Returns:
        tuple[list[int], list[int]]: The existing pages and the requested
        pages past the end of the document.
    """
    if selection is None:
        return list(range(1, num_pages + 1)), []
    explicit = [p for p in selection if p > 0]
    open_from = [-p for p in selection if p < 0]
    wanted = set(explicit)
    if open_from:
        wanted.update(range(open_from[0], num_pages + 1))
    return ([p for p in sorted(wanted) if p <= num_pages],
            [p for p in explicit if p > num_pages])


def _tiff_frames(path: str) -> int:
    """Number of frames of a TIFF (1 when Pillow cannot tell)."""
    from PIL import Image
    try:
        with Image.open(path) as img:
            return int(getattr(img, 'n_frames', 1))
    except Exception:  # the loader reports the real error later
        return 1


def _file_sources(path: str, file_name: str, pages: Optional[List[int]],
                  errors: List[PageError]) -> List[PageSource]:
    """Pages of one file (see :func:`collect_sources`)."""
    ext = osp.splitext(path)[1].lower()
    if ext == PDF_EXTENSION:
        try:
            num = count_pdf_pages(path)
        except Exception as e:  # PdfiumError, OSError
            errors.append(PageError(path, None, str(e)))
            return []
        keep, missing = select_pages(pages, num)
        errors.extend(
            PageError(path, p, f'page {p} requested but the PDF has {num} '
                      'page(s)') for p in missing)
        stem = osp.splitext(file_name)[0].replace(os.sep, '/')
        return [
            PageSource(path, 'pdf', p, f'pages/{stem}_p{p:04d}.png')
            for p in keep
        ]
    if ext in TIFF_EXTENSIONS:
        num = _tiff_frames(path)
        if num > 1:
            keep, missing = select_pages(pages, num)
            errors.extend(
                PageError(path, p, f'page {p} requested but the TIFF has '
                          f'{num} page(s)') for p in missing)
            return [PageSource(path, 'tiff', p, file_name) for p in keep]
    return [PageSource(path, 'image', None, file_name)]


def _is_page_file(path: str) -> bool:
    ext = osp.splitext(path)[1].lower()
    return ext in IMAGE_EXTENSIONS or ext == PDF_EXTENSION


def _expand(item: str, pages: Optional[List[int]],
            errors: List[PageError]) -> List[PageSource]:
    """Pages of one path, folder or glob pattern."""
    if osp.isdir(item):
        found = []
        for root, dirs, files in os.walk(item):
            dirs.sort()
            found += [osp.join(root, f) for f in sorted(files)
                      if _is_page_file(f)]
        if not found:
            errors.append(PageError(item, None, 'no image or PDF files in '
                                    'this folder (searched recursively)'))
        out = []
        for path in found:
            out += _file_sources(path, osp.relpath(path, item), pages, errors)
        return out
    if osp.isfile(item):
        return _file_sources(item, osp.basename(item), pages, errors)
    if _GLOB_CHARS.search(item):
        matches = sorted(p for p in glob.glob(item, recursive=True)
                         if osp.isfile(p) and _is_page_file(p))
        if not matches:
            errors.append(PageError(item, None, 'the pattern matches no image '
                                    'or PDF file'))
        base = glob_base(item)
        out = []
        for path in matches:
            out += _file_sources(path, osp.relpath(path, base), pages, errors)
        return out
    errors.append(PageError(item, None, 'no such file or folder'))
    return []


def glob_base(pattern: str) -> str:
    """The folder part of a glob pattern before its first wildcard."""
    head = _GLOB_CHARS.split(pattern, 1)[0]
    return osp.dirname(head) or '.'


def _unique_names(sources: List[PageSource]) -> None:
    """Give every page a unique output stem derived from its file name."""
    seen: Dict[str, int] = {}
    for i, src in enumerate(sources):
        src.index = i
        base = osp.splitext(src.file_name)[0]
        if src.kind in ('pdf', 'array'):
            base = base[len('pages/'):]
        elif src.kind == 'tiff':
            base = f'{base}_p{src.page:04d}'
        base = re.sub(r'[^A-Za-z0-9._-]+', '_', base.replace('/', '__'))
        name, k = base, seen.get(base, 0)
        while name in seen:
            k += 1
            name = f'{base}-{k}'
        seen[base] = k
        seen[name] = 0
        src.name = name
        if src.kind == 'tiff':
            src.file_name = f'pages/{name}.png'


def collect_sources(
        inputs: Union[InputType, Sequence[InputType]],
        pages: Union[None, str, List[int]] = None
) -> Tuple[List[PageSource], List[PageError]]:
    """Expand inputs into pages.

    Args:
        inputs (str | np.ndarray | list): Image files, folders (recursive:
            every image and PDF below), glob patterns (``**`` recurses),
            PDF files and BGR ``uint8`` arrays.
        pages (str | list[int], optional): Pages of every PDF / multi-page
            TIFF to take (:func:`parse_pages` syntax). Defaults to None
            (all).

    Returns:
        tuple[list[PageSource], list[PageError]]: Pages in input order and
        the inputs that could not be used.

    Raises:
        InputError: If an input is a URL.
    """
    if isinstance(inputs, (str, np.ndarray)):
        inputs = [inputs]
    inputs = list(inputs)
    check_inputs(inputs)
    if isinstance(pages, str) or pages is None:
        pages = parse_pages(pages)
    sources: List[PageSource] = []
    errors: List[PageError] = []
    for i, item in enumerate(inputs):
        if isinstance(item, np.ndarray):
            sources.append(PageSource('', 'array', None,
                                      f'pages/array_{i:05d}.png',
                                      array=item))
        elif isinstance(item, str):
            sources += _expand(item, pages, errors)
        else:
            raise InputError(f'input {i} is a {type(item).__name__}; give '
                             'paths, folders, glob patterns or arrays')
    _unique_names(sources)
    return sources, errors

# Copyright (c) docseg_mm contributors. All rights reserved.
import os

import cv2
import numpy as np
import pytest

from docseg_mm.apis.sources import (InputError, check_inputs,
                                    collect_sources, parse_pages,
                                    select_pages)
from .pdf_helpers import make_encrypted_pdf, make_test_pdf


def test_parse_pages():
    assert parse_pages(None) is None
    assert parse_pages('') is None
    assert parse_pages('1-3,7') == [1, 2, 3, 7]
    assert parse_pages(' 7, 2 ,2-3') == [2, 3, 7]
    assert parse_pages('2,5-') == [2, -5]  # open range from page 5
    for bad in ('0', 'a', '3-1', '1-2-3', '1,,2'):
        with pytest.raises(ValueError, match='bad page selection'):
            parse_pages(bad)


def test_select_pages():
    assert select_pages(None, 3) == ([1, 2, 3], [])
    assert select_pages([1, 2, 3, 7], 5) == ([1, 2, 3], [7])
    assert select_pages([2, -4], 6) == ([2, 4, 5, 6], [])
    assert select_pages([-9], 3) == ([], [])


def test_urls_are_refused():
    with pytest.raises(InputError, match='URLs are not supported') as e:
        check_inputs(['a.png', 'https://example.org/x.pdf',
                      's3://bucket/y.png'])
    assert 'https://example.org/x.pdf' in str(e.value)
    assert 's3://bucket/y.png' in str(e.value)
    check_inputs(['C:/docs/a.png', 'dir/b.pdf'])  # plain paths pass


def _png(path):
    cv2.imwrite(str(path), np.full((20, 30, 3), 255, np.uint8))


def test_collect_sources(tmp_path, monkeypatch):
    folder = tmp_path / 'scans'
    (folder / 'sub').mkdir(parents=True)
    _png(folder / 'b.png')
    _png(folder / 'sub' / 'a.jpg')
    (folder / 'notes.txt').write_text('not a page')
    _png(folder / 'sub' / 'b.png')  # same stem as scans/b.png
    make_test_pdf(str(tmp_path / 'doc.pdf'))
    make_encrypted_pdf(str(tmp_path / 'locked.pdf'))
    (tmp_path / 'broken.pdf').write_bytes(b'%PDF-1.4 not really')
    _png(tmp_path / 'single.png')
    arr = np.zeros((5, 6, 3), np.uint8)
    monkeypatch.chdir(tmp_path)
    sources, errors = collect_sources(
        ['scans', 'doc.pdf', 'locked.pdf', 'broken.pdf', 'missing.png',
         '*.png', 'nomatch/*.jpg', arr], pages='1,3,9')
    got = [(s.kind, s.path, s.page, s.file_name, s.name) for s in sources]
    assert got == [
        ('image', os.path.join('scans', 'b.png'), None, 'b.png', 'b'),
        ('image', os.path.join('scans', 'sub', 'a.jpg'), None,
         os.path.join('sub', 'a.jpg'), 'sub__a'),
        ('image', os.path.join('scans', 'sub', 'b.png'), None,
         os.path.join('sub', 'b.png'), 'sub__b'),
        ('pdf', 'doc.pdf', 1, 'pages/doc_p0001.png', 'doc_p0001'),
        ('pdf', 'doc.pdf', 3, 'pages/doc_p0003.png', 'doc_p0003'),
        ('image', 'single.png', None, 'single.png', 'single'),
        ('array', '', None, 'pages/array_00007.png', 'array_00007'),
    ]
    assert [s.index for s in sources] == list(range(7))
    assert sources[-1].array is arr
    msgs = {(e.path, e.page): e.message for e in errors}
    assert msgs[('doc.pdf', 9)] == \
        'page 9 requested but the PDF has 3 page(s)'
    assert 'encrypted PDF' in msgs[('locked.pdf', None)]
    assert 'broken or not a PDF' in msgs[('broken.pdf', None)]
    assert msgs[('missing.png', None)] == 'no such file or folder'
    assert 'matches no image' in msgs[('nomatch/*.jpg', None)]
    assert len(errors) == 5
    assert str(errors[0]) == \
        'doc.pdf (page 9): page 9 requested but the PDF has 3 page(s)'


def test_duplicate_names_get_suffixes(tmp_path):
    for sub in ('x', 'y'):
        (tmp_path / sub).mkdir()
        _png(tmp_path / sub / 'p.png')
    sources, _ = collect_sources([str(tmp_path / 'x' / 'p.png'),
                                  str(tmp_path / 'y' / 'p.png')])
    assert [s.name for s in sources] == ['p', 'p-1']

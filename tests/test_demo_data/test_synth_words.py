# Copyright (c) docseg_mm contributors. All rights reserved.
"""The rendered word set of the DiG demo: the label written is the text
drawn, glyphs on a common baseline, charset and length of the sampled
words, counts, determinism by seed, reuse and refusal of foreign folders."""
import hashlib
import json
import os
import os.path as osp
import string

import cv2
import numpy as np
import pytest

from docseg_mm.demo_data.synth_words import (CHARSET, font_paths,
                                             generate_rendered_words, ink_mask,
                                             sample_word)
from docseg_mm.demo_data.synth_words import writer as writer_mod

SMALL = dict(num_train=6, num_test=3, num_unlabeled=2, max_len=10)


def _hashes(root):
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            with open(osp.join(d, n), 'rb') as f:
                out[osp.relpath(osp.join(d, n),
                                root)] = hashlib.sha256(f.read()).hexdigest()
    return out


def _labels(path):
    with open(path, encoding='utf-8') as f:
        return [line.rstrip('\n').split('\t') for line in f]


def test_charset_is_dig_printable94():
    assert len(CHARSET) == 94 and ' ' not in CHARSET
    assert set(CHARSET) == set(string.digits + string.ascii_letters +
                               string.punctuation)


def test_every_face_inks_every_character():
    faces = font_paths()
    assert len(faces) >= 4
    for path in faces:
        for c in CHARSET:
            assert ink_mask(c, path, 24).max() > 100, (osp.basename(path), c)


def test_ink_mask_line_box_and_baseline():
    path = next(p for p in font_paths() if p.endswith('DejaVuSans.ttf'))
    size = 30.0
    from matplotlib.ft2font import FT2Font
    font = FT2Font(path)
    asc = int(np.ceil(font.ascender * size / font.units_per_EM))
    desc = int(np.ceil(-font.descender * size / font.units_per_EM))
    # same line box for words with and without ascenders/descenders
    for text in ('ace', 'Ty', 'gyp', '.'):
        assert ink_mask(text, path, size).shape[0] == asc + desc
    # 'x' sits on the baseline (row asc - 1 is its last inked row, within
    # anti-aliasing), 'g' goes below it, '.' stays on it
    for text, below in (('x', False), ('g', True), ('.', False)):
        rows = np.nonzero(ink_mask(text, path, size).max(1) > 64)[0]
        if below:
            assert rows[-1] >= asc + 3
        else:
            assert abs(rows[-1] - (asc - 1)) <= 1


def test_ink_width_follows_the_text():
    """A monospaced face: n more characters are n advances (0.602 em in
    DejaVu Sans Mono, 1233/2048) wider."""
    path = next(p for p in font_paths() if p.endswith('DejaVuSansMono.ttf'))
    size = 32.0
    w3 = ink_mask('HHH', path, size).shape[1]
    w8 = ink_mask('HHHHHHHH', path, size).shape[1]
    assert abs((w8 - w3) - 5 * 1233 / 2048 * size) <= 2


def test_sample_word_charset_and_length():
    rng = np.random.default_rng(0)
    words = [sample_word(rng, max_len=7) for _ in range(2000)]
    assert all(1 <= len(w) <= 7 for w in words)
    assert all(set(w) <= set(CHARSET) for w in words)
    # the mix holds letters, capitals, digits and punctuation
    joined = ''.join(words)
    for group in (string.ascii_lowercase, string.ascii_uppercase,
                  string.digits, ',.;:)('):
        assert any(c in group for c in joined)
    assert len(set(words)) > 800


def test_label_written_is_the_text_rendered(tmp_path, monkeypatch):
    drawn = []
    real = writer_mod.render_word

    def spy(rng, text, fonts=None):
        drawn.append(text)
        return real(rng, text, fonts)

    monkeypatch.setattr(writer_mod, 'render_word', spy)
    out = generate_rendered_words(str(tmp_path / 'w'), seed=3, **SMALL)
    assert out['num_words'] == dict(train=6, test=3, unlabeled=2)
    train = _labels(tmp_path / 'w' / 'train.txt')
    test = _labels(tmp_path / 'w' / 'test.txt')
    # the writer renders train, test, unlabeled in order
    assert [t for _, t in train] == drawn[:6]
    assert [t for _, t in test] == drawn[6:9]
    assert [p for p, _ in train] == [f'train/{i:06d}.png' for i in range(6)]
    for rel, text in train + test:
        img = cv2.imread(str(tmp_path / 'w' / rel))
        assert img is not None and img.ndim == 3
        assert len(text) <= SMALL['max_len']
    assert len(os.listdir(tmp_path / 'w' / 'unlabeled')) == 2


def test_determinism_reuse_and_refusal(tmp_path):
    a, b, c = (str(tmp_path / n) for n in 'abc')
    generate_rendered_words(a, seed=1, **SMALL)
    generate_rendered_words(b, seed=1, **SMALL)
    assert _hashes(a) == _hashes(b)
    # sample i does not depend on the split sizes
    generate_rendered_words(
        c, seed=1, num_train=3, num_test=1, num_unlabeled=0, max_len=10)
    ha, hc = _hashes(a), _hashes(c)
    for i in range(3):
        assert hc[f'train/{i:06d}.png'] == ha[f'train/{i:06d}.png']
    assert _labels(osp.join(c, 'train.txt')) == \
        _labels(osp.join(a, 'train.txt'))[:3]
    # another seed: other words
    generate_rendered_words(c, seed=2, **SMALL, overwrite=True)
    assert _labels(osp.join(c, 'train.txt')) != \
        _labels(osp.join(a, 'train.txt'))
    # an identical set is reused, a changed one re-rendered
    assert generate_rendered_words(a, seed=1, **SMALL)['reused']
    with open(osp.join(a, 'meta.json')) as f:
        meta = json.load(f)
    meta['code_hash'] = 'stale'
    with open(osp.join(a, 'meta.json'), 'w') as f:
        json.dump(meta, f)
    out = generate_rendered_words(a, seed=1, **SMALL)
    assert not out['reused'] and _hashes(a) == _hashes(b)
    # a folder this writer did not make is not deleted
    foreign = tmp_path / 'foreign'
    foreign.mkdir()
    (foreign / 'keep.txt').write_text('x')
    with pytest.raises(FileExistsError, match='foreign'):
        generate_rendered_words(str(foreign), **SMALL)
    assert (foreign / 'keep.txt').exists()


def test_cli_renders_then_reuses(tmp_path):
    import subprocess
    import sys
    repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    cmd = [
        sys.executable,
        osp.join(repo, 'tools', 'misc', 'generate_demo_words.py'), '--out',
        str(tmp_path / 'w'), '--num-train', '3', '--num-test', '2',
        '--num-unlabeled', '1', '--max-len', '6'
    ]
    env = dict(os.environ, PYTHONPATH=repo)
    first = subprocess.run(
        cmd, capture_output=True, text=True, env=env, check=True).stdout
    assert first.startswith('rendered') and '3 train, 2 test, 1 unlabeled' \
        in first
    assert len(_labels(tmp_path / 'w' / 'test.txt')) == 2
    assert all(len(t) <= 6 for _, t in _labels(tmp_path / 'w' / 'train.txt'))
    second = subprocess.run(
        cmd, capture_output=True, text=True, env=env, check=True).stdout
    assert second.startswith('reused')

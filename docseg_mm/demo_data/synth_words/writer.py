# Copyright (c) docseg_mm contributors. All rights reserved.
"""Write a rendered word set (``data/demo/rendered_words`` for
``make demo-dig``) in the layout of the page word crops::

    out_dir/{train,test,unlabeled}/<index>.png
    out_dir/{train,test}.txt      "<split>/<index>.png\\t<word>" per line
    out_dir/meta.json             version, parameters, code fingerprint

Sample ``i`` of a split is drawn from its own generator seeded with
``(seed, split, i)``: a set is reproducible byte for byte and a sample does
not change when the split sizes do. An identical existing set is reused.
"""
import hashlib
import json
import os
import os.path as osp
import shutil
import time
from typing import Dict

import cv2
import numpy as np

from .lexicon import sample_word
from .render import render_word

#: Bump when the output changes for the same parameters (the code
#: fingerprint in ``meta.json`` catches edits of the files too).
FORMAT_VERSION = 1
SPLITS = ('train', 'test', 'unlabeled')


def code_hash() -> str:
    """Fingerprint of the files the rendered words depend on."""
    here = osp.dirname(osp.abspath(__file__))
    parent = osp.dirname(here)
    files = sorted(
        osp.join(here, n) for n in os.listdir(here) if n.endswith('.py'))
    files += [osp.join(parent, 'word_crops.py'), osp.join(parent, 'words.py')]
    h = hashlib.sha1()
    for p in files:
        with open(p, 'rb') as f:
            h.update(osp.basename(p).encode() + b'\0' + f.read())
    return h.hexdigest()[:16]


def sample(seed: int, split: str, index: int, max_len: int):
    """The ``(BGR image, word)`` of sample ``index`` of ``split``."""
    rng = np.random.default_rng([int(seed), SPLITS.index(split), int(index)])
    word = sample_word(rng, max_len)
    return render_word(rng, word), word


def _meta(path: str):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def generate_rendered_words(out_dir: str,
                            num_train: int = 20000,
                            num_test: int = 1000,
                            num_unlabeled: int = 10000,
                            max_len: int = 12,
                            seed: int = 0,
                            overwrite: bool = False) -> Dict:
    """Render the labelled, held-out and unlabeled word sets.

    Args:
        out_dir (str): Output folder.
        num_train (int): Labelled training words. Defaults to 20000.
        num_test (int): Held-out labelled words. Defaults to 1000.
        num_unlabeled (int): Words without labels (pretraining). Defaults
            to 10000.
        max_len (int): Longest word. Defaults to 12.
        seed (int): Set seed. Defaults to 0.
        overwrite (bool): Re-render even if an identical set exists; also
            allows replacing a folder this function did not write. Defaults
            to False.

    Returns:
        dict: ``root``, ``num_words`` (per split), ``reused`` and
        ``seconds``.

    Raises:
        FileExistsError: If ``out_dir`` is not empty, has no ``meta.json``
            of this writer and ``overwrite`` is False.
    """
    start = time.perf_counter()
    params = dict(
        num_train=int(num_train),
        num_test=int(num_test),
        num_unlabeled=int(num_unlabeled),
        max_len=int(max_len),
        seed=int(seed))
    counts = dict(
        train=params['num_train'],
        test=params['num_test'],
        unlabeled=params['num_unlabeled'])
    meta_file = osp.join(out_dir, 'meta.json')
    meta = _meta(meta_file)
    want = dict(
        format_version=FORMAT_VERSION, code_hash=code_hash(), params=params)
    if not overwrite and meta and all(
            meta.get(k) == v for k, v in want.items()):
        return dict(
            root=out_dir,
            num_words=counts,
            reused=True,
            seconds=time.perf_counter() - start)
    if osp.isdir(out_dir) and os.listdir(out_dir):
        if meta is None and not overwrite:
            raise FileExistsError(
                f'{out_dir} holds files that were not written by '
                'generate_rendered_words; pass overwrite=True to replace '
                'them')
        shutil.rmtree(out_dir)
    for s in SPLITS:
        os.makedirs(osp.join(out_dir, s))
    for s in SPLITS:
        lines = []
        for i in range(counts[s]):
            img, word = sample(seed, s, i, max_len)
            rel = f'{s}/{i:06d}.png'
            cv2.imwrite(osp.join(out_dir, rel), img)
            lines.append(f'{rel}\t{word}\n')
        if s != 'unlabeled':
            with open(
                    osp.join(out_dir, f'{s}.txt'), 'w', encoding='utf-8') as f:
                f.writelines(lines)
    with open(meta_file, 'w') as f:
        json.dump(
            dict(
                want,
                generator='docseg_mm.demo_data.synth_words',
                num_words=counts), f)
    return dict(
        root=out_dir,
        num_words=counts,
        reused=False,
        seconds=time.perf_counter() - start)

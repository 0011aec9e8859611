# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tiny word-image datasets for the DiG configs: recognition LMDBs
(``RecogLMDBDataset``, ``UnlabeledLMDBDataset``) and word folders
(``WordImageFolderDataset``)."""
import os
import os.path as osp
from typing import List

import cv2
import numpy as np

from .tiny_datasets import register_tiny_writer

TINY_WORDS = ('ab', 'Cd1', 'xyz', 'Q!')


def _word_image(word: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.full((24, 64, 3), 200 + rng.integers(0, 50), np.uint8)
    cv2.putText(img, word, (3, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.6,
                (20, 20, 20), 1)
    return img


def write_tiny_lmdb(path: str, words: List[str], labels: bool = True) -> None:
    """Write ``words`` as a recognition LMDB at ``path``."""
    import lmdb
    os.makedirs(path, exist_ok=True)
    env = lmdb.open(path, map_size=1 << 24)
    with env.begin(write=True) as txn:
        for i, word in enumerate(words, 1):
            buf = cv2.imencode('.png', _word_image(word, i))[1].tobytes()
            txn.put(b'image-%09d' % i, buf)
            if labels:
                txn.put(b'label-%09d' % i, word.encode('utf-8'))
        txn.put(b'num-samples', str(len(words)).encode())
    env.close()


@register_tiny_writer('RecogLMDBDataset', 'UnlabeledLMDBDataset')
def write_tiny_recog_lmdb(dataset_cfg: dict, root: str) -> dict:
    """One tiny LMDB per ``ann_file`` entry, under ``root``."""
    files = dataset_cfg.get('ann_file', '')
    files = [files] if isinstance(files, str) else list(files)
    for f in files:
        write_tiny_lmdb(osp.join(root, f), list(TINY_WORDS))
    dataset_cfg['data_root'] = root
    return dataset_cfg


@register_tiny_writer('WordImageFolderDataset')
def write_tiny_word_folder(dataset_cfg: dict, root: str) -> dict:
    """Word PNGs under the image prefix and, with an ``ann_file``, a
    ``<path>\\t<word>`` label file."""
    prefix = (dataset_cfg.get('data_prefix') or {}).get('img_path', '')
    img_dir = osp.join(root, prefix)
    os.makedirs(img_dir, exist_ok=True)
    lines = []
    for i, word in enumerate(TINY_WORDS):
        cv2.imwrite(osp.join(img_dir, f'{i}.png'), _word_image(word, i))
        lines.append(f'{i}.png\t{word}')
    if dataset_cfg.get('ann_file'):
        with open(osp.join(root, dataset_cfg['ann_file']), 'w') as f:
            f.write('\n'.join(lines) + '\n')
    dataset_cfg['data_root'] = root
    return dataset_cfg

# Copyright (c) docseg_mm contributors. All rights reserved.
"""Build a recognition LMDB from an image folder and a label file."""
import os
import os.path as osp
from collections import Counter
from typing import Optional, Tuple

import cv2
import numpy as np

from ..recog_lmdb import read_label_file

IMG_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')


def _decodes(buf: bytes) -> bool:
    arr = np.frombuffer(buf, dtype=np.uint8)
    return arr.size > 0 and cv2.imdecode(arr, cv2.IMREAD_COLOR) is not None


def write_recog_lmdb(img_root: str,
                     out_dir: str,
                     label_file: Optional[str] = None,
                     max_word_len: Optional[int] = None,
                     check_images: bool = True,
                     map_size: int = 1 << 36,
                     commit_every: int = 1000) -> Tuple[int, Counter]:
    """Write ``num-samples``, ``image-%09d`` and ``label-%09d`` records.

    The image files' bytes are stored as they are (PNG/JPEG ...). Without a
    label file every image under ``img_root`` (recursively, sorted) is
    written without labels (an unlabeled pretraining set).

    Args:
        img_root (str): Image folder.
        out_dir (str): Output LMDB directory (must not hold a database).
        label_file (str, optional): ``<relative path>\\t<text>`` lines.
            Defaults to None.
        max_word_len (int, optional): Skip longer words. Defaults to None.
        check_images (bool): Skip (and count) images that do not decode.
            Defaults to True.
        map_size (int): LMDB map size in bytes. Defaults to 64 GiB.
        commit_every (int): Records per transaction. Defaults to 1000.

    Returns:
        tuple[int, Counter]: Records written and the skipped-input counts
        (``bad_line``, ``non_utf8_label``, ``empty_label``,
        ``missing_image``, ``too_long``, ``corrupt_image``).
    """
    import lmdb
    if label_file is not None:
        pairs, counts = read_label_file(label_file, img_root, max_word_len)
    else:
        counts = Counter()
        pairs = [(osp.join(d, f), None)
                 for d, _, fs in sorted(os.walk(img_root)) for f in sorted(fs)
                 if f.lower().endswith(IMG_EXTENSIONS)]
    if osp.exists(osp.join(out_dir, 'data.mdb')):
        raise FileExistsError(f'{out_dir} already holds an LMDB')
    os.makedirs(out_dir, exist_ok=True)
    env = lmdb.open(out_dir, map_size=map_size)
    written = 0
    txn = env.begin(write=True)
    try:
        for path, text in pairs:
            with open(path, 'rb') as f:
                buf = f.read()
            if check_images and not _decodes(buf):
                counts['corrupt_image'] += 1
                continue
            written += 1
            txn.put(b'image-%09d' % written, buf)
            if text is not None:
                txn.put(b'label-%09d' % written, text.encode('utf-8'))
            if written % commit_every == 0:
                txn.commit()
                txn = env.begin(write=True)
        txn.put(b'num-samples', str(written).encode('ascii'))
        txn.commit()
    except BaseException:
        txn.abort()
        raise
    finally:
        env.close()
    return written, counts

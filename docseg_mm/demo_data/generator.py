# Copyright (c) docseg_mm contributors. All rights reserved.
"""Write the synthetic demo set in the folder layout of DocLayNet's core
release::

    out_dir/COCO/train.json, out_dir/COCO/val.json
    out_dir/PNG/<name>.png                      train and val pages
    out_dir/unlabeled/<name>.png                pages without labels (SSL)
    out_dir/page_types/<page_type>/<name>.png   class folders for kNN probes
    out_dir/meta.json                           parameters + format version

Every page is a pure function of ``(seed, split, index)`` (and of the page
size), so the output is byte-identical whatever the number of workers.
"""
import argparse
import hashlib
import json
import multiprocessing as mp
import os
import os.path as osp
import shutil
import time
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .classes import CATEGORY_IDS, DOCLAYNET_CLASSES, PAGE_TYPES
from .layout import DEFAULT_PAGE_SIZE, render_page, sample_style

#: Bump when the pages or the json change, so stale sets are re-generated.
FORMAT_VERSION = 1
COLLECTION = 'docseg_mm_demo'
#: Consecutive pages that share one document style.
PAGES_PER_DOC = 4
_SPLIT_KEYS = {'train': 0, 'val': 1, 'unlabeled': 2, 'page_types': 3}
#: Train pages that get a full-bleed banner (boxes reaching past the edge).
_BLEED_EVERY = 40
#: Train pages that get a duplicate annotation with precedence 1 (and 2).
_DUP_EVERY = 25
#: How far past the page edge DocLayNet-like quirky boxes reach.
_EDGE_OVERSHOOT = 0.4

#: Unfiltered deflate is both the fastest and the smallest for these pages.
_PNG_PARAMS = [cv2.IMWRITE_PNG_COMPRESSION, 3]
if hasattr(cv2, 'IMWRITE_PNG_FILTER'):  # opencv >= 4.10
    _PNG_PARAMS += [cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_NONE]

Job = Tuple[str, int, int, str, Tuple[int, int], Optional[str]]


def page_rng(seed: int,
             split: str,
             index: int,
             group: int = 0) -> np.random.Generator:
    """The random source of one page.

    Args:
        seed (int): Dataset seed.
        split (str): ``'train'``, ``'val'``, ``'unlabeled'`` or
            ``'page_types'``.
        index (int): Page index in the split (in its page type folder for
            ``'page_types'``).
        group (int): Page type index for ``'page_types'``. Defaults to 0.

    Returns:
        np.random.Generator: The generator.
    """
    return np.random.default_rng([seed, _SPLIT_KEYS[split], group, index, 0])


def _doc_rng(seed: int, split: str, doc: int,
             group: int) -> np.random.Generator:
    return np.random.default_rng([seed, _SPLIT_KEYS[split], group, doc, 1])


def _render(job: Job) -> Tuple[int, Dict, List[Dict]]:
    """Render one page of a job, write its PNG and return its record."""
    split, index, seed, path, page_size, forced_type = job
    group = PAGE_TYPES.index(forced_type) if forced_type else 0
    doc = index // PAGES_PER_DOC
    drng = _doc_rng(seed, split, doc, group)
    page_type = forced_type or PAGE_TYPES[(doc + seed) % len(PAGE_TYPES)]
    style = sample_style(drng, page_type, page_size)
    page_no = int(drng.integers(1, 200)) + index % PAGES_PER_DOC
    full_bleed = True if split == 'train' and \
        index % _BLEED_EVERY == 1 else None
    img, anns = render_page(
        page_rng(seed, split, index, group),
        page_size,
        page_type,
        style=style,
        page_no=page_no,
        full_bleed=full_bleed)
    if not cv2.imwrite(path, img, _PNG_PARAMS):
        raise OSError(f'cannot write {path}')
    info = dict(
        doc_category=page_type,
        doc_name=f'{split}_doc{doc:04d}'
        if not forced_type else f'{forced_type}_doc{doc:04d}',
        page_no=page_no)
    return index, info, anns


def _worker_init() -> None:
    cv2.setNumThreads(1)


def _run_jobs(jobs: Sequence[Job],
              workers: int) -> List[Tuple[int, Dict, List]]:
    if workers <= 1 or len(jobs) < 8:
        return [_render(j) for j in jobs]
    # Never fork: a parent that has started torch / OpenCV thread pools can
    # deadlock its forked children. A fork server starts from a clean state.
    methods = mp.get_all_start_methods()
    ctx = mp.get_context(
        'forkserver' if 'forkserver' in methods else 'spawn')
    if 'forkserver' in methods:
        ctx.set_forkserver_preload([__name__])
    with ctx.Pool(workers, initializer=_worker_init) as pool:
        return list(pool.imap(_render, jobs, chunksize=4))


def polygon_area(flat: Sequence[float]) -> float:
    """Area of a polygon given as ``[x1, y1, x2, y2, ...]`` (shoelace)."""
    p = np.asarray(flat, np.float64).reshape(-1, 2)
    x, y = p[:, 0], p[:, 1]
    return float(
        abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


def _rect(x0: float, y0: float, x1: float, y1: float) -> List[float]:
    return [x0, y0, x1, y0, x1, y1, x0, y1]


def _coco(split: str, records: Sequence[Tuple[int, Dict, List]],
          names: Sequence[str], page_size: Tuple[int, int]) -> Dict:
    """Assemble the COCO dict of a split (with DocLayNet's train quirks)."""
    W, H = page_size
    images, annotations = [], []
    ann_id = 1
    for (index, info, anns), name in zip(records, names):
        img_id = index + 1
        images.append(
            dict(
                id=img_id,
                file_name=name,
                width=W,
                height=H,
                doc_category=info['doc_category'],
                collection=COLLECTION,
                doc_name=info['doc_name'],
                page_no=info['page_no'],
                precedence=0))
        page_anns = []
        for a in anns:
            x, y, w, h = a['bbox']
            seg = [list(map(float, a['segmentation'][0]))]
            if split == 'train':
                # DocLayNet quirk: boxes at the page edge reach slightly
                # past it.
                x0, y0, x1, y1 = x, y, x + w, y + h
                if x0 <= 0 or y0 <= 0 or x1 >= W or y1 >= H:
                    o = _EDGE_OVERSHOOT
                    x0 = -o if x0 <= 0 else x0
                    y0 = -o if y0 <= 0 else y0
                    x1 = W + o if x1 >= W else x1
                    y1 = H + o if y1 >= H else y1
                    x, y, w, h = x0, y0, x1 - x0, y1 - y0
                    seg = [_rect(x0, y0, x1, y1)]
            page_anns.append(
                dict(
                    id=0,
                    image_id=img_id,
                    category_id=CATEGORY_IDS[a['category']],
                    bbox=[round(float(v), 2) for v in (x, y, w, h)],
                    segmentation=[[round(v, 2) for v in seg[0]]],
                    area=round(polygon_area(seg[0]), 2),
                    iscrowd=0,
                    precedence=0))
        if split == 'train' and page_anns and index % _DUP_EVERY == 0:
            # DocLayNet quirk: redundant copies from other annotators.
            k = (index // _DUP_EVERY) % len(page_anns)
            page_anns.append(dict(page_anns[k], precedence=1))
            if index % (2 * _DUP_EVERY) == 0:
                page_anns.append(dict(page_anns[k], precedence=2))
        for a in page_anns:
            a['id'] = ann_id
            ann_id += 1
        annotations += page_anns
    categories = [
        dict(id=CATEGORY_IDS[n], name=n, supercategory=n)
        for n in DOCLAYNET_CLASSES
    ]
    return dict(
        info=dict(
            description='docseg_mm synthetic demo pages in DocLayNet '
            'format',
            version=str(FORMAT_VERSION)),
        licenses=[],
        images=images,
        annotations=annotations,
        categories=categories)


def _paths(out_dir: str) -> Dict[str, str]:
    return dict(
        root=out_dir,
        train_json=osp.join(out_dir, 'COCO', 'train.json'),
        val_json=osp.join(out_dir, 'COCO', 'val.json'),
        png_dir=osp.join(out_dir, 'PNG'),
        unlabeled_dir=osp.join(out_dir, 'unlabeled'),
        page_types_dir=osp.join(out_dir, 'page_types'),
        meta_file=osp.join(out_dir, 'meta.json'))


def _file_names(params: Dict) -> Dict[str, List[str]]:
    """Paths (relative to out_dir) of all PNGs of a dataset."""
    out = dict(
        train=[f'train_{i:05d}.png' for i in range(params['num_train'])],
        val=[f'val_{i:05d}.png' for i in range(params['num_val'])],
        unlabeled=[
            f'unlabeled_{i:05d}.png' for i in range(params['num_unlabeled'])
        ])
    out['page_types'] = [
        osp.join(t, f'{t}_{i:04d}.png') for t in PAGE_TYPES
        for i in range(params['num_per_page_type'])
    ]
    return out


def code_hash() -> str:
    """Fingerprint of the generator's source files.

    Stored in ``meta.json`` so that a set rendered by an older version of the
    generator is not reused.
    """
    h = hashlib.sha1()
    folder = osp.dirname(osp.abspath(__file__))
    for name in sorted(os.listdir(folder)):
        if name.endswith('.py'):
            with open(osp.join(folder, name), 'rb') as f:
                h.update(name.encode() + b'\0' + f.read())
    return h.hexdigest()[:16]


def _read_meta(path: str) -> Optional[Dict]:
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _is_complete(paths: Dict[str, str], params: Dict) -> bool:
    meta = _read_meta(paths['meta_file'])
    if not meta or meta.get('format_version') != FORMAT_VERSION or \
            meta.get('params') != params or \
            meta.get('code_hash') != code_hash():
        return False
    if not (osp.isfile(paths['train_json']) and osp.isfile(paths['val_json'])):
        return False
    names = _file_names(params)
    dirs = dict(
        train=paths['png_dir'],
        val=paths['png_dir'],
        unlabeled=paths['unlabeled_dir'],
        page_types=paths['page_types_dir'])
    return all(
        osp.isfile(osp.join(dirs[k], n)) for k, v in names.items() for n in v)


def _dump_json(obj: Dict, path: str) -> None:
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(obj, f, separators=(',', ':'))
    os.replace(tmp, path)


def generate_demo_dataset(out_dir: str,
                          num_train: int = 240,
                          num_val: int = 60,
                          num_unlabeled: int = 100,
                          num_per_page_type: int = 20,
                          page_size: Tuple[int, int] = DEFAULT_PAGE_SIZE,
                          seed: int = 0,
                          overwrite: bool = False,
                          workers: Optional[int] = None) -> Dict:
    """Render the synthetic demo set (or reuse an identical existing one).

    Args:
        out_dir (str): Output folder.
        num_train (int): Labelled training pages. Defaults to 240.
        num_val (int): Labelled validation pages. Defaults to 60.
        num_unlabeled (int): Unlabelled pages for self-supervised
            pretraining. Defaults to 100.
        num_per_page_type (int): Pages per page type in the class-folder set
            ``page_types/``. Defaults to 20.
        page_size (tuple): ``(width, height)`` of the pages. Defaults to
            ``(448, 576)``.
        seed (int): Dataset seed. Defaults to 0.
        overwrite (bool): Re-render even if ``out_dir`` already holds the
            same dataset; also allows replacing folders that were not made
            by this function. Defaults to False.
        workers (int, optional): Rendering processes; the output does not
            depend on it; each extra process costs a few seconds of start-up
            (it imports torch), so one is fastest for a few hundred pages.
            Defaults to None (one process).

    Returns:
        dict: ``root``, ``train_json``, ``val_json``, ``png_dir``,
        ``unlabeled_dir``, ``page_types_dir``, ``meta_file`` (paths),
        ``num_images`` (per split), ``reused`` (True if nothing was
        rendered) and ``seconds`` (time taken).

    Raises:
        FileExistsError: If ``out_dir`` holds dataset folders without this
            generator's ``meta.json`` and ``overwrite`` is False.
    """
    start = time.perf_counter()
    W, H = int(page_size[0]), int(page_size[1])
    params = dict(
        num_train=int(num_train),
        num_val=int(num_val),
        num_unlabeled=int(num_unlabeled),
        num_per_page_type=int(num_per_page_type),
        page_size=[W, H],
        seed=int(seed))
    paths = _paths(out_dir)
    names = _file_names(params)
    result = dict(paths, num_images={k: len(v) for k, v in names.items()})
    if not overwrite and _is_complete(paths, params):
        return dict(result, reused=True, seconds=time.perf_counter() - start)

    ours = _read_meta(paths['meta_file']) is not None
    sub_dirs = [
        osp.join(out_dir, 'COCO'), paths['png_dir'], paths['unlabeled_dir'],
        paths['page_types_dir']
    ]
    if not ours and not overwrite and any(
            osp.isdir(d) and os.listdir(d) for d in sub_dirs):
        raise FileExistsError(
            f'{out_dir} holds a dataset that was not made by '
            'generate_demo_dataset; pass overwrite=True to replace it')
    if osp.exists(paths['meta_file']):
        os.remove(paths['meta_file'])
    for d in sub_dirs:
        if osp.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
    for t in PAGE_TYPES:
        os.makedirs(osp.join(paths['page_types_dir'], t))

    jobs: List[Job] = []
    for split, folder in (('train', paths['png_dir']),
                          ('val', paths['png_dir']), ('unlabeled',
                                                      paths['unlabeled_dir'])):
        jobs += [(split, i, seed, osp.join(folder, n), (W, H), None)
                 for i, n in enumerate(names[split])]
    for t in PAGE_TYPES:
        jobs += [('page_types', i, seed,
                  osp.join(paths['page_types_dir'], t,
                           f'{t}_{i:04d}.png'), (W, H), t)
                 for i in range(num_per_page_type)]
    records = _run_jobs(jobs, int(workers or 1))

    n_tr, n_va = params['num_train'], params['num_val']
    _dump_json(
        _coco('train', records[:n_tr], names['train'], (W, H)),
        paths['train_json'])
    _dump_json(
        _coco('val', records[n_tr:n_tr + n_va], names['val'], (W, H)),
        paths['val_json'])
    meta = dict(
        format_version=FORMAT_VERSION,
        generator='docseg_mm.demo_data',
        code_hash=code_hash(),
        params=params,
        classes=list(DOCLAYNET_CLASSES),
        page_types=list(PAGE_TYPES),
        num_images=result['num_images'])
    _dump_json(meta, paths['meta_file'])
    return dict(result, reused=False, seconds=time.perf_counter() - start)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Command line of ``python -m docseg_mm.demo_data``."""
    parser = argparse.ArgumentParser(
        description='Render the synthetic DocLayNet-style demo document set.')
    parser.add_argument('--out', default='data/demo', help='output folder')
    parser.add_argument('--num-train', type=int, default=240)
    parser.add_argument('--num-val', type=int, default=60)
    parser.add_argument('--num-unlabeled', type=int, default=100)
    parser.add_argument('--num-per-page-type', type=int, default=20)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--page-size',
        type=int,
        nargs=2,
        default=list(DEFAULT_PAGE_SIZE),
        metavar=('W', 'H'))
    parser.add_argument(
        '--workers',
        type=int,
        default=None,
        help='rendering processes (default: 1)')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='re-render even if an identical set exists')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> Dict:
    """Entry point of the CLI; prints what was written and how long it took."""
    args = parse_args(argv)
    out = generate_demo_dataset(
        args.out,
        num_train=args.num_train,
        num_val=args.num_val,
        num_unlabeled=args.num_unlabeled,
        num_per_page_type=args.num_per_page_type,
        page_size=tuple(args.page_size),
        seed=args.seed,
        overwrite=args.overwrite,
        workers=args.workers)
    n = out['num_images']
    what = 'reused existing' if out['reused'] else 'wrote'
    print(f'{what} demo set in {out["root"]} ({out["seconds"]:.1f} s):\n'
          f'  {out["train_json"]} ({n["train"]} pages)\n'
          f'  {out["val_json"]} ({n["val"]} pages)\n'
          f'  {out["png_dir"]}/ ({n["train"] + n["val"]} PNGs)\n'
          f'  {out["unlabeled_dir"]}/ ({n["unlabeled"]} PNGs)\n'
          f'  {out["page_types_dir"]}/ ({n["page_types"]} PNGs in '
          f'{len(PAGE_TYPES)} page types)')
    return out

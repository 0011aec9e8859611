# Copyright (c) docseg_mm contributors. All rights reserved.
"""Write the synthetic demo set in the folder layout of DocLayNet's core
release, plus the views other methods need::

    out_dir/COCO/train.json, out_dir/COCO/val.json
    out_dir/PNG/<name>.png                      train and val pages
    out_dir/PDF/<split>_doc<k>.pdf              the train/val documents
    out_dir/unlabeled/<name>.png                pages without labels (SSL)
    out_dir/page_types/<page_type>/<name>.png   class folders for kNN probes
    out_dir/SEM/<stem>.png, SEM/{train,val}_tags.json, SEM/{train,val}.txt
    out_dir/words/{train,val,unlabeled}/<stem>_<k>.png, words/{train,val}.txt
    out_dir/meta.json                           parameters + format version

Documents of :data:`PAGES_PER_DOC` pages are typeset as PDFs and
rasterised; each document is a pure function of ``(seed, split, document
index)``, so the output is byte-identical whatever the number of workers.
"""
import hashlib
import json
import os
import os.path as osp
import shutil
import time
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .classes import CATEGORY_IDS, DOCLAYNET_CLASSES, PAGE_TYPES
from .coco import coco_dict
from .cli import main, parse_args

__all__ = ['FORMAT_VERSION', 'PAGES_PER_DOC', 'DEFAULT_DPI', 'doc_rng',
           'render_document', 'generate_demo_dataset', 'code_hash', 'main',
           'parse_args']

#: Bump when the pages or the json change, so stale sets are re-generated.
FORMAT_VERSION = 2
#: Consecutive pages that form one document (one style, text flowing on).
PAGES_PER_DOC = 4
#: Default rendering resolution of the pages (dots per inch).
DEFAULT_DPI = 96
_SPLIT_KEYS = {'train': 0, 'val': 1, 'unlabeled': 2, 'page_types': 3}
_PNG_PARAMS = [cv2.IMWRITE_PNG_COMPRESSION, 3]
if hasattr(cv2, 'IMWRITE_PNG_FILTER'):  # opencv >= 4.10
    _PNG_PARAMS += [cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_NONE]

#: ``(split, doc, first page, n pages, seed, page type, params, paths)``
Job = Tuple[str, int, int, int, int, Optional[str], Dict, Dict]


def doc_rng(seed: int, split: str, doc: int,
            group: int = 0) -> np.random.Generator:
    """The random source of one document.

    Args:
        seed (int): Dataset seed.
        split (str): ``'train'``, ``'val'``, ``'unlabeled'`` or
            ``'page_types'``.
        doc (int): Document index in the split (in its page-type folder for
            ``'page_types'``).
        group (int): Page type index for ``'page_types'``. Defaults to 0.
    """
    return np.random.default_rng([seed, _SPLIT_KEYS[split], group, doc, 1])


def render_document(seed: int, split: str, doc: int, n_pages: int,
                    page_type: Optional[str] = None, dpi: float = DEFAULT_DPI
                    ) -> Dict:
    """Typeset and rasterise one document.

    Args:
        seed (int): Dataset seed.
        split (str): Split name (a key of the random source).
        doc (int): Document index.
        n_pages (int): Pages to compose.
        page_type (str, optional): Force a page type; also keys the random
            source like the ``page_types`` folders. Defaults to None (the
            type cycles with the document index).
        dpi (float): Resolution. Defaults to :data:`DEFAULT_DPI`.

    Returns:
        dict: ``pdf`` (bytes), ``pages`` (composed :class:`~.page.Page`),
        ``images`` (BGR arrays), ``annotations`` (per page, pixel boxes),
        ``page_type``, ``style`` and ``document`` (the open
        ``pypdfium2.PdfDocument``; close it when done).
    """
    from .docstyle import sample_style
    from .document import make_document
    from .page import write_pdf
    from .render import open_pdf, page_annotations, render_page
    group = PAGE_TYPES.index(page_type) if page_type else 0
    page_type = page_type or PAGE_TYPES[(doc + seed) % len(PAGE_TYPES)]
    rng = doc_rng(seed, split, doc, group)
    style = sample_style(rng, page_type)
    pages = make_document(rng, style, n_pages)
    data = write_pdf(pages, title=f'docseg_mm demo {split} {doc}')
    pdf = open_pdf(data)
    images, anns = [], []
    for i, page in enumerate(pages):
        img = render_page(pdf, i, dpi)
        images.append(img)
        anns.append(page_annotations(img, page, dpi))
    return dict(pdf=data, pages=pages, images=images, annotations=anns,
                page_type=page_type, style=style, document=pdf)


def _run_doc(job: Job) -> List[Tuple[int, Dict, List, List]]:
    """Render one document job; write its pages, PDF and word crops."""
    from .word_crops import crop_words
    split, doc, first, n, seed, forced, params, paths = job
    out = render_document(seed, split, doc, n, forced, params['dpi'])
    group = PAGE_TYPES.index(forced) if forced else 0
    wrng = np.random.default_rng([seed, _SPLIT_KEYS[split], group, doc, 2])
    if split in ('train', 'val') and params['write_pdf']:
        with open(osp.join(paths['pdf_dir'], f'{split}_doc{doc:04d}.pdf'),
                  'wb') as f:
            f.write(out['pdf'])
    page_no0 = int(wrng.integers(1, 200))
    records = []
    for i in range(n):
        name = paths['names'][i]
        if not cv2.imwrite(osp.join(paths['folder'], name), out['images'][i],
                           _PNG_PARAMS):
            raise OSError(f'cannot write {name}')
        crops = []
        if split != 'page_types' and params['words_per_page']:
            stem = osp.splitext(osp.basename(name))[0]
            for k, (img, text) in enumerate(crop_words(
                    wrng, out['document'], i, out['pages'][i],
                    params['words_per_page'])):
                rel = f'{split}/{stem}_{k:02d}.png'
                cv2.imwrite(osp.join(paths['words_dir'], rel), img,
                            _PNG_PARAMS)
                crops.append((rel, text))
        info = dict(doc_category=out['page_type'],
                    doc_name=f'{forced or split}_doc{doc:04d}',
                    page_no=page_no0 + i, kind=out['style'].kind,
                    height=int(out['images'][i].shape[0]),
                    width=int(out['images'][i].shape[1]))
        records.append((first + i, info, out['annotations'][i], crops))
    out['document'].close()
    return records


def _worker_init() -> None:
    cv2.setNumThreads(1)


def _run_jobs(jobs: Sequence[Job], workers: int) -> List:
    if workers <= 1 or len(jobs) < 4:
        return [r for j in jobs for r in _run_doc(j)]
    import multiprocessing as mp

    # Never fork: a parent that has started torch / OpenCV thread pools can
    # deadlock its forked children. A fork server starts from a clean state.
    methods = mp.get_all_start_methods()
    ctx = mp.get_context('forkserver' if 'forkserver' in methods else
                         'spawn')
    if 'forkserver' in methods:
        ctx.set_forkserver_preload([__name__])
    with ctx.Pool(workers, initializer=_worker_init) as pool:
        return [r for rs in pool.imap(_run_doc, jobs, chunksize=1)
                for r in rs]


def _paths(out_dir: str) -> Dict[str, str]:
    j = osp.join
    return dict(
        root=out_dir, train_json=j(out_dir, 'COCO', 'train.json'),
        val_json=j(out_dir, 'COCO', 'val.json'), png_dir=j(out_dir, 'PNG'),
        pdf_dir=j(out_dir, 'PDF'), unlabeled_dir=j(out_dir, 'unlabeled'),
        page_types_dir=j(out_dir, 'page_types'), sem_dir=j(out_dir, 'SEM'),
        words_dir=j(out_dir, 'words'), meta_file=j(out_dir, 'meta.json'))


def _file_names(params: Dict) -> Dict[str, List[str]]:
    """Paths (relative to their folder) of all page PNGs of a dataset."""
    out = {s: [f'{s}_{i:05d}.png' for i in range(params[f'num_{s}'])]
           for s in ('train', 'val', 'unlabeled')}
    out['page_types'] = [
        osp.join(t, f'{t}_{i:04d}.png') for t in PAGE_TYPES
        for i in range(params['num_per_page_type'])
    ]
    return out


def code_hash() -> str:
    """Fingerprint of the generator's source files (kept in ``meta.json``
    so that a set rendered by an older generator is not reused)."""
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


def _outputs(paths: Dict, params: Dict) -> List[str]:
    names = _file_names(params)
    dirs = dict(train=paths['png_dir'], val=paths['png_dir'],
                unlabeled=paths['unlabeled_dir'],
                page_types=paths['page_types_dir'])
    files = [osp.join(dirs[k], n) for k, v in names.items() for n in v]
    files += [paths['train_json'], paths['val_json']]
    for s in ('train', 'val'):
        files += [osp.join(paths['sem_dir'], f'{s}_tags.json'),
                  osp.join(paths['sem_dir'], f'{s}.txt'),
                  osp.join(paths['words_dir'], f'{s}.txt')]
        files += [osp.join(paths['sem_dir'], n) for n in names[s]]
    return files


def _is_complete(paths: Dict, params: Dict) -> bool:
    meta = _read_meta(paths['meta_file'])
    if not meta or meta.get('format_version') != FORMAT_VERSION or \
            meta.get('params') != params or \
            meta.get('code_hash') != code_hash():
        return False
    return all(osp.isfile(f) for f in _outputs(paths, params))


def _dump_json(obj: Dict, path: str) -> None:
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(obj, f, separators=(',', ':'))
    os.replace(tmp, path)


def _write_lines(path: str, lines: Sequence[str]) -> None:
    with open(path, 'w', encoding='utf-8') as f:
        f.write(''.join(line + '\n' for line in lines))


def _jobs(params: Dict, paths: Dict, names: Dict) -> List[Job]:
    jobs: List[Job] = []
    folders = dict(train=paths['png_dir'], val=paths['png_dir'],
                   unlabeled=paths['unlabeled_dir'])
    common = dict(pdf_dir=paths['pdf_dir'], words_dir=paths['words_dir'])
    for split in ('train', 'val', 'unlabeled'):
        n = params[f'num_{split}']
        for doc, first in enumerate(range(0, n, PAGES_PER_DOC)):
            k = min(PAGES_PER_DOC, n - first)
            jobs.append((split, doc, first, k, params['seed'], None, params,
                         dict(common, folder=folders[split],
                              names=names[split][first:first + k])))
    for t in PAGE_TYPES:
        n = params['num_per_page_type']
        for doc, first in enumerate(range(0, n, PAGES_PER_DOC)):
            k = min(PAGES_PER_DOC, n - first)
            jobs.append(('page_types', doc, first, k, params['seed'], t,
                         params, dict(common, folder=paths['page_types_dir'],
                                      names=[osp.join(t, f'{t}_{i:04d}.png')
                                             for i in range(first, first + k)
                                             ])))
    return jobs


def generate_demo_dataset(out_dir: str,
                          num_train: int = 240,
                          num_val: int = 60,
                          num_unlabeled: int = 100,
                          num_per_page_type: int = 20,
                          dpi: float = DEFAULT_DPI,
                          words_per_page: int = 8,
                          write_pdf: bool = True,
                          seed: int = 0,
                          overwrite: bool = False,
                          workers: Optional[int] = None) -> Dict:
    """Typeset the synthetic demo set (or reuse an identical existing one).

    Args:
        out_dir (str): Output folder.
        num_train (int): Labelled training pages. Defaults to 240.
        num_val (int): Labelled validation pages. Defaults to 60.
        num_unlabeled (int): Unlabelled pages for self-supervised
            pretraining. Defaults to 100.
        num_per_page_type (int): Pages per page type in the class-folder set
            ``page_types/``. Defaults to 20.
        dpi (float): Rendering resolution; page sizes are those of real
            paper (letter, A4, A5, slides ...). Defaults to 96.
        words_per_page (int): Word crops per train/val/unlabeled page.
            Defaults to 8.
        write_pdf (bool): Keep the train/val PDFs in ``PDF/``. Defaults to
            True.
        seed (int): Dataset seed. Defaults to 0.
        overwrite (bool): Re-render even if ``out_dir`` already holds the
            same dataset; also allows replacing folders that were not made
            by this function. Defaults to False.
        workers (int, optional): Rendering processes; the output does not
            depend on it. Defaults to None (one process).

    Returns:
        dict: The paths of :func:`_paths`, ``num_images`` (per split),
        ``num_words`` (per split), ``reused`` (True if nothing was
        rendered) and ``seconds`` (time taken).

    Raises:
        FileExistsError: If ``out_dir`` holds dataset folders without this
            generator's ``meta.json`` and ``overwrite`` is False.
    """
    start = time.perf_counter()
    params = dict(num_train=int(num_train), num_val=int(num_val),
                  num_unlabeled=int(num_unlabeled),
                  num_per_page_type=int(num_per_page_type), dpi=float(dpi),
                  words_per_page=int(words_per_page),
                  write_pdf=bool(write_pdf), seed=int(seed))
    paths = _paths(out_dir)
    names = _file_names(params)
    result = dict(paths, num_images={k: len(v) for k, v in names.items()})
    if not overwrite and _is_complete(paths, params):
        meta = _read_meta(paths['meta_file'])
        return dict(result, num_words=meta.get('num_words'), reused=True,
                    seconds=time.perf_counter() - start)

    ours = _read_meta(paths['meta_file']) is not None
    sub_dirs = [osp.join(out_dir, 'COCO')] + [
        paths[k] for k in ('png_dir', 'pdf_dir', 'unlabeled_dir',
                           'page_types_dir', 'sem_dir', 'words_dir')]
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
    for s in ('train', 'val', 'unlabeled'):
        os.makedirs(osp.join(paths['words_dir'], s))

    records = _run_jobs(_jobs(params, paths, names), int(workers or 1))
    n_tr, n_va, n_un = (params['num_train'], params['num_val'],
                        params['num_unlabeled'])
    splits = dict(train=records[:n_tr], val=records[n_tr:n_tr + n_va],
                  unlabeled=records[n_tr + n_va:n_tr + n_va + n_un])
    num_words = {}
    for s, recs in splits.items():
        crops = [c for r in recs for c in r[3]]
        num_words[s] = len(crops)
        if s != 'unlabeled':
            _write_lines(osp.join(paths['words_dir'], f'{s}.txt'),
                         [f'{p}\t{t}' for p, t in crops])
    from docseg_mm.datasets.converters.coco_to_semantic import \
        coco_to_semantic
    for s in ('train', 'val'):
        coco = coco_dict(s, [r[:3] for r in splits[s]], names[s],
                         FORMAT_VERSION)
        _dump_json(coco, paths[f'{s}_json'])
        coco_to_semantic(
            paths[f'{s}_json'], paths['sem_dir'],
            tags_file=osp.join(paths['sem_dir'], f'{s}_tags.json'),
            classes=DOCLAYNET_CLASSES,
            keep_annotation=lambda a: a.get('precedence', 0) == 0)
        _write_lines(osp.join(paths['sem_dir'], f'{s}.txt'),
                     [osp.splitext(n)[0] for n in names[s]])
    meta = dict(format_version=FORMAT_VERSION,
                generator='docseg_mm.demo_data', code_hash=code_hash(),
                params=params, classes=list(DOCLAYNET_CLASSES),
                category_ids=CATEGORY_IDS, page_types=list(PAGE_TYPES),
                pages_per_doc=PAGES_PER_DOC,
                num_images=result['num_images'], num_words=num_words)
    _dump_json(meta, paths['meta_file'])
    return dict(result, num_words=num_words, reused=False,
                seconds=time.perf_counter() - start)

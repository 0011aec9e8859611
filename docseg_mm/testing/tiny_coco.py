# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tiny COCO-format layout datasets: one json and its pages, for
:class:`~docseg_mm.datasets.CocoDocDataset` and its subclasses (DocLayNet,
PubLayNet, DocSAM's single-file COCO) and DocSAM's per-image folders
(:class:`~docseg_mm.datasets.DocSAMFolderDataset`)."""
import inspect
import json
import os
import os.path as osp
from typing import List, Sequence

from .tiny_datasets import register_tiny_writer
from .tiny_pages import TINY_NUM_PAGES, tiny_page, write_image

#: Categories of a file whose dataset config names none.
DEFAULT_CATEGORIES = ('text', 'title', 'figure')


def _dataset_class(dataset_cfg: dict) -> type:
    from docseg_mm.registry import DATASETS
    name = str(dataset_cfg['type']).split('.')[-1]
    cls = DATASETS.get(name)
    if cls is None:
        raise KeyError(f'dataset type {name!r} is not registered')
    return cls


def _default(cls: type, arg: str):
    """Default of an ``__init__`` argument along the class hierarchy."""
    for klass in cls.__mro__:
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        param = inspect.signature(init).parameters.get(arg)
        if param is not None and param.default is not param.empty:
            return param.default
    return None


def coco_categories(dataset_cfg: dict) -> List[str]:
    """Category names the file must have for the config to load it: the
    keys of a ``class_map``, else the config's ``classes``, else the
    dataset class's, else :data:`DEFAULT_CATEGORIES`."""
    class_map = dataset_cfg.get('class_map')
    if class_map is not None:
        from docseg_mm.datasets.docsam_coco import CLASS_MAPS
        if isinstance(class_map, str):
            class_map = dict(_preset_=class_map)
        class_map = dict(class_map)
        preset = class_map.pop('_preset_', None)
        merged = dict(CLASS_MAPS[preset]) if preset else {}
        merged.update(class_map)
        return list(merged)
    classes = (dataset_cfg.get('metainfo') or {}).get('classes')
    if classes:
        return [classes] if isinstance(classes, str) else list(classes)
    own = getattr(_dataset_class(dataset_cfg), 'METAINFO', {}) or {}
    return list(own.get('classes') or DEFAULT_CATEGORIES)


def page_annotations(index: int, categories: Sequence[str], first_id: int,
                     image_id) -> List[dict]:
    """COCO annotations (box + polygon) of the blocks of :func:`tiny_page`.
    """
    anns = []
    for k, (x, y, w, h) in enumerate(tiny_page(index)[1]):
        anns.append(
            dict(id=first_id + k, image_id=image_id,
                 category_id=(index + k) % len(categories) + 1,
                 bbox=[x, y, w, h], area=w * h, iscrowd=0, precedence=0,
                 segmentation=[[x, y, x + w, y, x + w, y + h, x, y + h]]))
    return anns


def write_coco_pages(root: str, ann_file: str, img_prefix: str,
                     categories: Sequence[str],
                     num: int = TINY_NUM_PAGES) -> None:
    """Write ``num`` pages and one COCO json naming them."""
    images, anns = [], []
    for i in range(num):
        img, _ = tiny_page(i)
        name = f'tiny_{i:02d}.png'
        write_image(osp.join(root, img_prefix, name), img)
        images.append(dict(id=i + 1, file_name=name, width=img.shape[1],
                           height=img.shape[0]))
        anns += page_annotations(i, categories, 10 * i + 1, i + 1)
    path = osp.join(root, ann_file)
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    cats = [dict(id=i + 1, name=n) for i, n in enumerate(categories)]
    with open(path, 'w') as f:
        json.dump(dict(images=images, annotations=anns, categories=cats), f)


@register_tiny_writer('CocoDocDataset', 'DocLayNetDataset',
                      'PubLayNetDataset', 'DocSAMCocoDataset')
def write_tiny_coco(dataset_cfg: dict, root: str) -> dict:
    """A COCO json at ``ann_file`` and its pages under ``data_prefix.img``
    (the dataset class's default prefix when the config gives none)."""
    prefix = dataset_cfg.get('data_prefix') or \
        _default(_dataset_class(dataset_cfg), 'data_prefix') or {}
    write_coco_pages(root, dataset_cfg['ann_file'], prefix.get('img', ''),
                     coco_categories(dataset_cfg))
    dataset_cfg['data_root'] = root
    return dataset_cfg


@register_tiny_writer('DocSAMFolderDataset')
def write_tiny_docsam_folder(dataset_cfg: dict, root: str) -> dict:
    """``image/``, ``coco/<stem>.json`` per page and the split list, under
    ``root`` + the config's ``data_root`` (which names the dataset and its
    task family)."""
    data_root = osp.join(root, str(dataset_cfg.get('data_root', '')))
    cls = _dataset_class(dataset_cfg)
    img_dir = dataset_cfg.get('img_dir', _default(cls, 'img_dir'))
    ann_dir = dataset_cfg.get('ann_dir', _default(cls, 'ann_dir'))
    split = dataset_cfg.get('split_file', _default(cls, 'split_file'))
    categories = coco_categories(dataset_cfg)
    stems = []
    for i in range(TINY_NUM_PAGES):
        img, _ = tiny_page(i)
        stem = f'tiny_{i:02d}'
        write_image(osp.join(data_root, img_dir, stem + '.png'), img)
        content = dict(
            images=[dict(id=1, file_name=stem + '.png', width=img.shape[1],
                         height=img.shape[0])],
            annotations=page_annotations(i, categories, 1, 1),
            categories=[dict(id=k + 1, name=n)
                        for k, n in enumerate(categories)])
        os.makedirs(osp.join(data_root, ann_dir), exist_ok=True)
        with open(osp.join(data_root, ann_dir, stem + '.json'), 'w') as f:
            json.dump(content, f)
        stems.append(stem)
    if split:
        with open(osp.join(data_root, split), 'w') as f:
            f.write('\n'.join(stems) + '\n')
    dataset_cfg['data_root'] = data_root
    return dataset_cfg

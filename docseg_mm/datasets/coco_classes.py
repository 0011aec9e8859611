# Copyright (c) docseg_mm contributors. All rights reserved.
"""Class resolution by name for COCO-format datasets
(:class:`~docseg_mm.datasets.CocoDocDataset`)."""
import logging
from collections import defaultdict
from typing import Dict, List, Sequence, Tuple

from mmengine.logging import print_log

from .ann_checks import AnnotationFormatError, make_palette


class CocoClassesMixin:
    """``classes`` selected and ordered by category name, checked against
    the file and mmdet ``CocoMetric``'s label order; ``cat_ids``,
    ``cat2label`` and a palette per class.

    The host sets ``ann_file``, ``check_class_order``, ``_metainfo`` and
    ``METAINFO``.
    """

    def _set_classes(self, cat_pairs: List[Tuple[int, str]]) -> None:
        """Resolve ``classes`` against the file and build ``cat2label``."""
        ids_by_name: Dict[str, List[int]] = defaultdict(list)
        for cat_id, name in cat_pairs:
            ids_by_name[name].append(cat_id)
        found = [name for _, name in cat_pairs]
        classes = self._metainfo.get('classes', None)
        if classes is None:
            classes = tuple(name for _, name in sorted(cat_pairs))
        else:
            classes = (classes, ) if isinstance(classes, str) else \
                tuple(classes)
            missing = [c for c in classes if c not in ids_by_name]
            if missing:
                raise AnnotationFormatError(
                    f'class name(s) {missing} of the dataset config are not '
                    f'categories of annotation file {self.ann_file!r}; names '
                    f'found there: {found}')
        repeated = sorted({c for c in classes if classes.count(c) > 1})
        if repeated:
            raise AnnotationFormatError(
                f'class name(s) {repeated} appear more than once in classes '
                f'for annotation file {self.ann_file!r}')
        ambiguous = [c for c in classes if len(ids_by_name[c]) > 1]
        if ambiguous:
            raise AnnotationFormatError(
                f'annotation file {self.ann_file!r}: category name(s) '
                f'{ambiguous} are used by several category ids '
                f'({ {c: ids_by_name[c] for c in ambiguous} }), so they '
                'cannot be mapped by name')
        self._metainfo['classes'] = classes
        self.cat_ids = [ids_by_name[c][0] for c in classes]
        self.cat2label = {cat_id: i for i, cat_id in enumerate(self.cat_ids)}
        self._check_order(cat_pairs)
        self._set_palette(classes)

    def _check_order(self, cat_pairs: List[Tuple[int, str]]) -> None:
        """Check that labels agree with mmdet ``CocoMetric``'s id order."""
        file_order = [cid for cid, _ in cat_pairs if cid in self.cat2label]
        if self.cat_ids == file_order:
            return
        if self.cat_ids == sorted(file_order):
            print_log(
                f'{type(self).__name__}: categories of {self.ann_file!r} are '
                'not sorted by id; evaluate with mmdet '
                'CocoMetric(sort_categories=True)',
                logger='current',
                level=logging.WARNING)
            return
        expected = tuple(n for cid, n in cat_pairs if cid in self.cat2label)
        msg = (f'classes {self._metainfo["classes"]} are ordered differently '
               f'from the categories of annotation file {self.ann_file!r} '
               f'({expected}); mmdet CocoMetric maps label i to the i-th '
               'selected category in file order and would score labels '
               f'against the wrong categories. Use classes={expected}, or '
               'set check_class_order=False if your metric maps by name')
        if self.check_class_order:
            raise AnnotationFormatError(msg)
        print_log(msg, logger='current', level=logging.WARNING)

    def _set_palette(self, classes: Sequence[str]) -> None:
        """Give every class a colour, reusing the class palette by name."""
        palette = self._metainfo.get('palette', None)
        own_classes = self.METAINFO.get('classes', None)
        own_palette = self.METAINFO.get('palette', None)
        generated = make_palette(len(classes))
        if (palette is not None and own_palette is not None and own_classes
                and list(palette) == list(own_palette)
                and tuple(classes) != tuple(own_classes)):
            by_name = dict(zip(own_classes, own_palette))
            palette = [
                tuple(by_name.get(c, generated[i]))
                for i, c in enumerate(classes)
            ]
        elif palette is None:
            palette = generated
        elif len(palette) < len(classes):
            palette = list(palette) + generated[len(palette):]
        self._metainfo['palette'] = [tuple(c) for c in palette]

# Copyright (c) docseg_mm contributors. All rights reserved.
"""A single-file COCO dataset that carries DocSAM class prompts."""
import logging
from typing import Any, Dict, List, Optional, Tuple, Union

from mmengine.logging import print_log

from docseg_mm.registry import DATASETS
from .ann_checks import AnnotationFormatError
from .coco_doc import CocoDocDataset
from .docsam_meta import DOCSAM_KEYS, DocSAMMetaMixin

#: DocLayNet's 11 classes -> a coarse text / table / figure set.
DOCLAYNET_TO_COARSE: Dict[str, Optional[str]] = {
    'Caption': 'text',
    'Footnote': 'text',
    'Formula': 'text',
    'List-item': 'text',
    'Page-footer': 'text',
    'Page-header': 'text',
    'Picture': 'figure',
    'Section-header': 'text',
    'Table': 'table',
    'Text': 'text',
    'Title': 'text',
}

#: Class maps a config can name: ``class_map='doclaynet_to_coarse'``, or
#: ``class_map=dict(_preset_='doclaynet_to_coarse', Table='grid')`` to change
#: single entries (also from ``--cfg-options ...class_map.Table=grid``).
CLASS_MAPS: Dict[str, Dict[str, Optional[str]]] = {
    'doclaynet_to_coarse': DOCLAYNET_TO_COARSE,
}


@DATASETS.register_module()
class DocSAMCocoDataset(DocSAMMetaMixin, CocoDocDataset):
    """:class:`CocoDocDataset` whose samples carry their class prompts.

    Every data info gets ``class_names`` (the classes in label order + the
    background prompt as last entry), ``dataset_name`` and ``task``; the
    same keys are in :attr:`metainfo`.

    ``class_map`` relabels categories by name: ``{original name: new name
    or None}``; None drops the annotation (counted in the log line as "of
    categories not in classes ignored"). The classes become the sorted
    unique new names, or ``metainfo=dict(classes=...)`` (a subset/order of
    the new names; mapped names left out are ignored likewise). Every
    category of the file must be a key of ``class_map`` (else
    :class:`AnnotationFormatError`). With a ``class_map``, ``cat_ids`` are
    synthetic (``label + 1``), so mmdet's ``CocoMetric`` on the original
    file does not apply; evaluate from the packed ``instances``.

    Without ``class_map`` it behaves as :class:`CocoDocDataset` (classes in
    file category order, checked against the file).

    Args:
        *args: Positional arguments of :class:`CocoDocDataset`.
        dataset_name (str): Dataset name (prompts, sampler, logs).
        task (str): Task family. Defaults to 'layout'.
        background_name (str, optional): Background prompt. Defaults to
            None (``f'{dataset_name} _background_'``).
        class_map (dict | str, optional): Relabelling, see above; or the
            name of one in :data:`CLASS_MAPS` (e.g.
            ``'doclaynet_to_coarse'``); or a dict whose ``_preset_`` entry
            names one and whose other entries replace its entries.
            Defaults to None.
        **kwargs: Keyword arguments of :class:`CocoDocDataset` (e.g.
            ``drop_nonzero_precedence`` for DocLayNet's redundant
            annotations, also in the demo set).
    """

    RESERVED_KEYS = CocoDocDataset.RESERVED_KEYS | frozenset(DOCSAM_KEYS)

    def __init__(self,
                 *args: Any,
                 dataset_name: str,
                 task: str = 'layout',
                 background_name: Optional[str] = None,
                 class_map: Union[str, Dict[str, Optional[str]],
                                  None] = None,
                 **kwargs: Any) -> None:
        self._init_docsam_meta(dataset_name, task, background_name)
        self.class_map = self._check_class_map(class_map)
        super().__init__(*args, **kwargs)
        if 'classes' not in self._metainfo:  # lazy_init
            self._update_docsam_metainfo(with_classes=False)

    def _check_class_map(
        self, class_map: Union[str, Dict[str, Optional[str]], None]
    ) -> Optional[Dict[str, Optional[str]]]:
        """Validate the relabelling dict (or look up a named one)."""
        if class_map is None:
            return None
        if isinstance(class_map, str):
            class_map = dict(_preset_=class_map)
        if isinstance(class_map, dict) and '_preset_' in class_map:
            overrides = dict(class_map)
            preset = overrides.pop('_preset_')
            if preset not in CLASS_MAPS:
                raise ValueError(
                    f'{type(self).__name__} {self.dataset_name!r}: unknown '
                    f'class_map {preset!r}; named maps: '
                    f'{sorted(CLASS_MAPS)}')
            class_map = dict(CLASS_MAPS[preset], **overrides)
        if not isinstance(class_map, dict) or not class_map:
            raise ValueError(
                f'{type(self).__name__} {self.dataset_name!r}: class_map '
                f'must be a non-empty dict, got {class_map!r}')
        for src, dst in class_map.items():
            if dst is not None and (not isinstance(dst, str) or not dst):
                raise ValueError(
                    f'{type(self).__name__} {self.dataset_name!r}: '
                    f'class_map[{src!r}] must be a non-empty class name or '
                    f'None (drop), got {dst!r}')
        return dict(class_map)

    def load_data_list(self) -> List[dict]:
        """Load as :class:`CocoDocDataset` and add the DocSAM keys.

        Returns:
            list[dict]: One data info per image.
        """
        data_list = super().load_data_list()
        self._update_docsam_metainfo()
        return data_list

    def parse_data_info(self, raw_data_info: dict) -> dict:
        """Parse one image as :class:`CocoDocDataset` plus DocSAM keys.

        Args:
            raw_data_info (dict): ``raw_img_info`` and ``raw_ann_info``.

        Returns:
            dict: The data info with ``class_names``, ``dataset_name`` and
            ``task``.
        """
        return self._add_docsam_keys(super().parse_data_info(raw_data_info))

    def _set_classes(self, cat_pairs: List[Tuple[int, str]]) -> None:
        """Resolve classes, relabelling through ``class_map`` if given."""
        if self.class_map is None:
            super()._set_classes(cat_pairs)
            return
        where = (f'{type(self).__name__} {self.dataset_name!r}: annotation '
                 f'file {self.ann_file!r}')
        missing = [(cid, n) for cid, n in cat_pairs if n not in self.class_map]
        if missing:
            raise AnnotationFormatError(
                f'{where}: categories {missing} (id, name) are not keys of '
                f'class_map {sorted(self.class_map)}; map them to a class '
                'or to None to drop them')
        names = {n for _, n in cat_pairs}
        unused = sorted(k for k in self.class_map if k not in names)
        if unused:
            print_log(
                f'{where}: class_map keys {unused} are not categories of '
                'the file',
                logger='current',
                level=logging.WARNING)
        targets = sorted({
            self.class_map[n]
            for _, n in cat_pairs if self.class_map[n] is not None
        })
        classes = self._metainfo.get('classes', None)
        if classes is None:
            classes = tuple(targets)
        else:
            classes = (classes, ) if isinstance(classes, str) else \
                tuple(classes)
            bad = [c for c in classes if c not in targets]
            repeated = sorted({c for c in classes if classes.count(c) > 1})
            if bad or repeated:
                raise AnnotationFormatError(
                    f'{where}: classes {classes} must be distinct new names '
                    f'of class_map present in the file ({targets}); bad: '
                    f'{bad}, repeated: {repeated}')
        if not classes:
            raise AnnotationFormatError(
                f'{where}: class_map drops every category')
        label_of = {c: i for i, c in enumerate(classes)}
        self._metainfo['classes'] = classes
        self.cat_ids = [i + 1 for i in range(len(classes))]
        self.cat2label = {
            cid: label_of[self.class_map[n]]
            for cid, n in cat_pairs if self.class_map[n] in label_of
        }
        self._set_palette(classes)

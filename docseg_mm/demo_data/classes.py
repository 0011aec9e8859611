# Copyright (c) docseg_mm contributors. All rights reserved.
"""Category names, page types and the PubLayNet relabelling of the demo set."""
from typing import Dict, Optional, Tuple

#: DocLayNet's 11 layout categories; category id ``i + 1`` is
#: ``DOCLAYNET_CLASSES[i]``.
DOCLAYNET_CLASSES: Tuple[str,
                         ...] = ('Caption', 'Footnote', 'Formula', 'List-item',
                                 'Page-footer', 'Page-header', 'Picture',
                                 'Section-header', 'Table', 'Text', 'Title')

#: Category name -> COCO category id (1-based, in DocLayNet's order).
CATEGORY_IDS: Dict[str, int] = {
    name: i + 1
    for i, name in enumerate(DOCLAYNET_CLASSES)
}

#: Page types (document categories) with clearly different layouts. They are
#: written to ``images[].doc_category`` and give the class folders of the
#: ``page_types`` set used for kNN monitoring of self-supervised pretraining.
PAGE_TYPES: Tuple[str, ...] = ('scientific_article', 'financial_report',
                               'manual', 'patent', 'law_regulation')

#: PubLayNet's 5 categories (ids 1..5 in this order).
PUBLAYNET_CLASSES: Tuple[str, ...] = ('text', 'title', 'list', 'table',
                                      'figure')

#: The documented DocLayNet -> PubLayNet relabelling. PubLayNet labels the
#: body of journal articles only: running headers, footers and page numbers
#: are not annotated (``None``: dropped), display formulas, captions and
#: footnotes are ``text``, headings and the title are ``title``. PubLayNet
#: boxes a whole list where DocLayNet boxes each item; relabelled items stay
#: one box each (``list``).
DOCLAYNET_TO_PUBLAYNET: Dict[str, Optional[str]] = {
    'Caption': 'text',
    'Footnote': 'text',
    'Formula': 'text',
    'List-item': 'list',
    'Page-footer': None,
    'Page-header': None,
    'Picture': 'figure',
    'Section-header': 'title',
    'Table': 'table',
    'Text': 'text',
    'Title': 'title',
}


def to_publaynet(coco: Dict) -> Dict:
    """Relabel a demo COCO dict (DocLayNet classes) to PubLayNet's 5 classes.

    Args:
        coco (dict): A COCO dict written by the demo generator.

    Returns:
        dict: A new COCO dict with PubLayNet categories (ids 1..5);
        annotations whose class has no PubLayNet counterpart are dropped.
    """
    names = {c['id']: c['name'] for c in coco['categories']}
    new_id = {n: i + 1 for i, n in enumerate(PUBLAYNET_CLASSES)}
    anns = []
    for a in coco['annotations']:
        target = DOCLAYNET_TO_PUBLAYNET[names[a['category_id']]]
        if target is not None:
            anns.append(dict(a, category_id=new_id[target]))
    cats = [dict(id=new_id[n], name=n, supercategory=n)
            for n in PUBLAYNET_CLASSES]
    return dict(coco, annotations=anns, categories=cats)

# Copyright (c) docseg_mm contributors. All rights reserved.
"""Category names and page types of the synthetic demo document set."""
from typing import Dict, Tuple

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

# Copyright (c) docseg_mm contributors. All rights reserved.
from .inference import (build_inference_pipeline, find_metafile_model,
                        inference_model, init_model)
from .inferencer import DocSegInferencer
from .model_families import Family, detect_family
from .pdf_pages import PdfPageInfo, PdfPageReader, PdfTextLayer
from .run import RunReport, infer_documents
from .sources import (InputError, PageError, PageSource, collect_sources,
                      parse_pages)

__all__ = [
    'DocSegInferencer', 'init_model', 'inference_model',
    'build_inference_pipeline', 'find_metafile_model', 'Family',
    'detect_family', 'PdfPageInfo', 'PdfPageReader', 'PdfTextLayer',
    'collect_sources', 'parse_pages', 'PageError', 'PageSource',
    'InputError', 'infer_documents', 'RunReport'
]

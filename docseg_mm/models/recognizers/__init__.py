# Copyright (c) docseg_mm contributors. All rights reserved.
from .encoder_decoder_recognizer import EncoderDecoderRecognizer

__all__ = ['EncoderDecoderRecognizer']

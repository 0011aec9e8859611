# Copyright (c) docseg_mm contributors. All rights reserved.
"""Convert a released DiG checkpoint (pretraining or fine-tuned recogniser)
into a docseg_mm checkpoint and print where every tensor went.

Examples::

    # pretraining -> DiG algorithm (its backbone.* initialises fine-tuning)
    python tools/model_converters/dig_to_docseg.py dig_pretrain.pth \
        checkpoints/dig_vit-s_pretrain.pth
    # fine-tuned recogniser, rows ordered for the config's dictionary
    python tools/model_converters/dig_to_docseg.py dig_finetune.pth \
        checkpoints/dig-recog_vit-s.pth \
        --config configs/dig/dig-recog_vit-s-p4_8xb256-10e_textocr-openimages.py
"""
import argparse

import torch

from docseg_mm.models.converters.dig import (convert_dig_state_dict,
                                             load_dig_checkpoint)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='released DiG checkpoint')
    parser.add_argument('dst', help='output docseg_mm checkpoint')
    parser.add_argument('--config', help='recogniser config whose dictionary '
                        'orders the embedding/classifier rows (default: '
                        "DiG's 94 characters in mmocr's token order)")
    parser.add_argument('--model-key', default='model',
                        help='entry of the file holding the weights')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    dictionary = None
    if args.config:
        from mmengine.config import Config
        from mmengine.registry import init_default_scope

        from docseg_mm.registry import TASK_UTILS
        init_default_scope('docseg_mm')
        cfg = Config.fromfile(args.config)
        dictionary = TASK_UTILS.build(cfg.model.decoder.dictionary)
    src = load_dig_checkpoint(args.src, args.model_key)
    state, kind, report = convert_dig_state_dict(src, dictionary)
    torch.save(dict(state_dict=state,
                    meta=dict(source=args.src, converted_from='DiG',
                              kind=kind)), args.dst)
    print(f'{args.src} ({kind}, {len(src)} tensors) -> {args.dst}')
    print(report.summary())


if __name__ == '__main__':
    main()

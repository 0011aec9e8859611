# Copyright (c) docseg_mm contributors. All rights reserved.
"""Export the ResNet encoder of a docseg_mm SelfDocSeg training checkpoint.

The output's ``state_dict`` has plain torchvision ResNet names
(``conv1.weight``, ``layer1.0.conv1.weight`` ...), which is what mmdet's /
mmpretrain's ``ResNet(depth=50, init_cfg=dict(type='Pretrained',
checkpoint=DST))`` and torchvision's ``resnet50().load_state_dict(...,
strict=False)`` expect. The export is
:func:`docseg_mm.models.converters.selfdocseg.export_file`.

``--which online`` (default) exports ``backbone.*``; ``--which momentum``
exports the EMA encoder ``target_net.module.0.*``. ``--plain`` writes the bare
state dict (no ``{'state_dict', 'meta'}`` wrapper), the form Detectron2's
``convert-torchvision-to-d2.py`` reads.

Usage::

    python tools/model_converters/selfdocseg_export_encoder.py SRC DST \
        [--which online|momentum] [--plain]
"""
import argparse
from typing import List, Optional

from docseg_mm.models.converters.selfdocseg import (ENCODER_PREFIXES,
                                                    export_file)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Export the ResNet encoder of a docseg_mm SelfDocSeg '
        'checkpoint with torchvision key names.')
    parser.add_argument('src', help='docseg_mm SelfDocSeg checkpoint')
    parser.add_argument('dst', help='output encoder checkpoint')
    parser.add_argument(
        '--which', choices=tuple(ENCODER_PREFIXES), default='online',
        help='online encoder (backbone.*) or momentum encoder '
        '(target_net.module.0.*)')
    parser.add_argument(
        '--plain', action='store_true',
        help='save the bare state dict (torchvision / Detectron2 converter '
        'style) instead of {"state_dict", "meta"}')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    exported, left_out = export_file(args.src, args.dst, args.which,
                                     args.plain)
    print(f'exported the {args.which} encoder '
          f'({ENCODER_PREFIXES[args.which]}*): {exported} tensors with '
          f'torchvision names; {left_out} other tensors left out')
    print(f'saved to {args.dst}'
          + (' (bare state dict)' if args.plain else ''))


if __name__ == '__main__':
    main()

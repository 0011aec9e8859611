# Copyright (c) docseg_mm contributors. All rights reserved.
"""Export the ResNet encoder of a docseg_mm SelfDocSeg training checkpoint.

The output's ``state_dict`` has plain torchvision ResNet names
(``conv1.weight``, ``bn1.running_mean``, ``layer1.0.conv1.weight``,
``layer1.0.downsample.0.weight`` ...), which is what mmdet's / mmpretrain's
``ResNet(depth=50, init_cfg=dict(type='Pretrained', checkpoint=DST))`` and
torchvision's ``resnet50().load_state_dict(..., strict=False)`` expect.

``--which online`` (default) exports ``backbone.*``; ``--which momentum``
exports the EMA encoder ``target_net.module.0.*``. ``--plain`` writes the bare
state dict (no ``{'state_dict', 'meta'}`` wrapper), the form Detectron2's
``convert-torchvision-to-d2.py`` reads.

Usage::

    python tools/model_converters/selfdocseg_export_encoder.py SRC DST \
        [--which online|momentum] [--plain]
"""
import argparse
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import torch

#: Prefix of each encoder in the SelfDocSeg model's state dict.
ENCODER_PREFIXES: Dict[str, str] = {
    'online': 'backbone.',
    'momentum': 'target_net.module.0.',
}


def export_encoder(state_dict: Dict[str, torch.Tensor],
                   which: str = 'online'
                   ) -> Tuple['OrderedDict[str, torch.Tensor]', int]:
    """Take one encoder out of a SelfDocSeg state dict and strip its prefix.

    Args:
        state_dict (dict): State dict of the docseg_mm SelfDocSeg model.
        which (str): ``'online'`` or ``'momentum'``. Defaults to
            ``'online'``.

    Returns:
        tuple[OrderedDict, int]: The encoder state dict with torchvision
        names, and the number of source tensors that were left out.

    Raises:
        ValueError: If ``which`` is unknown or no key has its prefix.
    """
    if which not in ENCODER_PREFIXES:
        raise ValueError(f'which must be one of {list(ENCODER_PREFIXES)}, '
                         f'got {which!r}')
    prefix = ENCODER_PREFIXES[which]
    encoder = OrderedDict((k[len(prefix):], v)
                          for k, v in state_dict.items()
                          if k.startswith(prefix))
    if not encoder:
        sample = list(state_dict)[:5]
        raise ValueError(f'no key starts with {prefix!r} (the {which} '
                         f'encoder); keys look like {sample}')
    # A classifier is not part of the encoder (mmpretrain's ResNet has none).
    for name in ('fc.weight', 'fc.bias'):
        encoder.pop(name, None)
    return encoder, len(state_dict) - len(encoder)


def load_training_checkpoint(path: str) -> Dict[str, torch.Tensor]:
    """Read an MMEngine checkpoint with the allow-listing safe loader.

    Args:
        path (str): Checkpoint written by MMEngine's Runner (or any file
            holding a state dict, wrapped in ``'state_dict'`` or not).

    Returns:
        dict: The state dict.
    """
    from docseg_mm.utils import load_checkpoint_file
    ckpt = load_checkpoint_file(path, map_location='cpu')
    if not isinstance(ckpt, dict):
        raise TypeError(f'{path} does not hold a dict but {type(ckpt)}')
    return ckpt.get('state_dict', ckpt)


def export_file(src: str,
                dst: str,
                which: str = 'online',
                plain: bool = False) -> Tuple[int, int]:
    """Export the encoder of ``src`` to ``dst``.

    Args:
        src (str): docseg_mm SelfDocSeg checkpoint.
        dst (str): Output file.
        which (str): ``'online'`` or ``'momentum'``. Defaults to
            ``'online'``.
        plain (bool): Save the bare state dict instead of
            ``{'state_dict': ..., 'meta': ...}``. Defaults to False.

    Returns:
        tuple[int, int]: Number of exported tensors and of left-out ones.
    """
    encoder, left_out = export_encoder(load_training_checkpoint(src), which)
    if plain:
        torch.save(encoder, dst)
    else:
        meta = {
            'exported_from': osp.basename(src),
            'exporter': 'tools/model_converters/selfdocseg_export_encoder.py',
            'which': which,
            'source_prefix': ENCODER_PREFIXES[which],
            'key_style': 'torchvision',
        }
        torch.save({'state_dict': encoder, 'meta': meta}, dst)
    return len(encoder), left_out


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

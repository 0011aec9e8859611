# Copyright (c) docseg_mm contributors. All rights reserved.
"""Write precomputed class-name embeddings for :class:`ClassNameEncoder`.

Each name is embedded like DocSAM's text encoder does it (all-MiniLM-L6-v2,
attention-mask mean pooling of the last hidden state, no L2 normalisation),
and the vectors are saved as::

    {'model': str, 'embed_dims': int, 'pooling': 'mean', 'normalized': False,
     'embeddings': {name: FloatTensor(embed_dims)}}

which loads with ``torch.load(..., weights_only=True)``. Pass the file as
``ClassNameEncoder(embeddings_file=...)`` to run without the text model.
The command line is ``tools/misc/docsam_embed_class_names.py``.
"""
import logging
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.logging import print_log

from .class_name_encoder import (ClassNameEncoder, default_model_path,
                                 load_embeddings_file, resolve_hf_folder)


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
    """The dict saved in an embeddings file (weights_only-loadable types)."""
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
        print_log(
            f'{path} was made with {old["model"]!r}, appending embeddings '
            f'of {payload["model"]!r}.',
            logger='current',
            level=logging.WARNING)
    merged = dict(old['embeddings'])
    merged.update(payload['embeddings'])
    return build_payload(payload['model'], payload['embed_dims'], merged)


def write_embeddings_file(names: Sequence[str],
                          out: str,
                          model_path: Optional[str] = None,
                          append: bool = False,
                          batch_size: int = 64,
                          device: str = 'cpu',
                          max_length: int = 128,
                          encoder: Optional[ClassNameEncoder] = None) -> str:
    """Embed ``names`` and save them to ``out``.

    Args:
        names (Sequence[str]): Class names (repeats are embedded once).
            Remember each dataset's background prompt,
            ``"<dataset name> _background_"``.
        out (str): Output ``.pth`` file (folders are created).
        model_path (str, optional): HF / sentence-transformers model folder
            or hub id. Defaults to None (the packaged all-MiniLM-L6-v2).
        append (bool): Merge into an existing ``out`` instead of replacing
            it. Defaults to False.
        batch_size (int): Names per BERT call. Defaults to 64.
        device (str): Device of the text model. Defaults to 'cpu'.
        max_length (int): Token limit per name. Defaults to 128.
        encoder (ClassNameEncoder, optional): Encoder to use instead of
            building one from ``model_path``. Defaults to None.

    Returns:
        str: A one-line description of what was saved.

    Raises:
        ValueError: If ``names`` is empty or ``append`` meets an
            incompatible file.
    """
    names = unique(names)
    if not names:
        raise ValueError('no class names to embed')
    if encoder is None:
        encoder = ClassNameEncoder(
            model_path=model_path,
            embed_dims=hidden_size_of(model_path),
            max_length=max_length)
    embed_dims = encoder.embed_dims
    encoder.to(device).eval()
    payload = build_payload(encoder.model_name, embed_dims,
                            embed_names(encoder, names, batch_size))
    if append and osp.isfile(out):
        payload = merge_existing(out, payload)
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    torch.save(payload, out)
    return (f'Saved {len(payload["embeddings"])} class-name embeddings '
            f'({len(names)} new, {embed_dims}-d, model '
            f'{payload["model"]!r}) to {out}')

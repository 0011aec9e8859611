# AlignSeg on the embedded demo pages (`make demo-alignseg`), CPU-sized.
# The frozen backbone is the small ViT pretrained by
# selfdocseg_vit-t16_1xb8-60i_demo-unlabeled.py (no pretrained ViT can be
# downloaded here) on pages resized to 224 x 288, so pages are evaluated at
# that size and position embeddings are resized as mmpretrain does. Five
# prototypes are trained without labels on the train pages. Local crops are
# 96 px (Leopart's size; AlignSeg needs 224 only for its attention reshape),
# so that they see the text at a scale near the global crop's. The
# foreground hint is SelfDocSeg's pseudo-layout mask, because SelfDocSeg
# does not train the CLS token. The tokens of this briefly trained ViT all
# point one way (cosine of unrelated tokens ~0.9), so the head subtracts
# their running mean (token_centering). Even centred, two foreground tokens
# of a page are strongly correlated (mean centred correlation of the
# foreground pairs 0.52, quartiles 0.42 / 0.63; the original's 0.11 is
# tuned for DINO on VOC), so the negative pressure must sit just above that
# mean: at 0 (the first version) every pair pulls its tokens into one
# cluster and the prototypes collapse (97 % of the tokens in one cluster);
# at 0.5 one seed in three still collapsed, at 0.6 none of three did. The
# assignment softmax is sharpened with a temperature of 0.2 (the original
# has none, i.e. 1, and its cosines lie in [0, 1]). See the README's lever
# table.
# Evaluation on the val pages' semantic masks, AlignSeg next to k-means on
# the same frozen tokens:
#   per_image/*        AlignSeg, the original's per-image protocol
#   hungarian/*        AlignSeg, dataset-level Hungarian
#   kmeans_k5/*        k-means (k = 5) of the frozen tokens, same protocols
#   kmeans_backbone/*  k-means protocol (k = 12 Hungarian, 24 / 48
#                      many-to-one) of the frozen tokens
#   kmeans_alignseg/*  the same on AlignSeg's prototype-cosine embedding
_base_ = [
    '../_base_/models/alignseg_vit-s16.py',
    '../_base_/datasets/doc_pages_alignseg.py',
    '../_base_/alignseg_runtime.py',
    '../_base_/schedules/alignseg_adamw_step.py'
]
pretrained = 'work_dirs/alignseg_demo/selfdocseg_pretrain/iter_60.pth'
num_queries = 5
model = dict(
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=192, num_layers=6, num_heads=3,
                  feedforward_channels=768),
        norm_cfg=dict(type='LN', eps=1e-6),
        pos_interp='mmpretrain',
        init_cfg=dict(checkpoint=pretrained)),
    decode_head=dict(
        in_channels=192, num_queries=num_queries, num_heads=3,
        feedforward_channels=384, token_centering=True,
        loss_corr=dict(negative_pressure=0.6, temperature=0.2)),
    fg_hint=dict(_delete_=True, type='SegMapHint', mode='nonzero',
                 min_fraction=0.25),
    test_cfg=dict(embeddings=dict(seg_embeddings='backbone',
                                  seg_assignment='assignment')))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PseudoLayoutMask', work_size=None, threshold=239,
         kernel_size=3, iterations=2, objects_on='grid'),
    dict(type='AlignSegMultiCrop', num_local=2, global_size=224,
         local_size=96, global_scale=(0.5, 1.0), local_scale=(0.05, 0.25),
         min_intersection=0.05, interpolation='area'),
    dict(type='mmpretrain.PackInputs',
         algorithm_keys=('crop_boxes', 'crop_seg_maps'),
         meta_keys=('img_path', 'ori_shape')),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(224, 288), keep_ratio=False,
         interpolation='area'),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='mmseg.PackSegInputs'),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=1,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(num_workers=1, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

max_iters = 200
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop',
                 max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_iters, by_epoch=False,
         begin=0, end=max_iters, eta_min=1e-5)
]
optim_wrapper = dict(optimizer=dict(lr=2e-3))
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(by_epoch=False, interval=max_iters))
log_processor = dict(by_epoch=False)
visualizer = dict(num_clusters=num_queries)

over_k = [12, 24, 48]
test_evaluator = [
    dict(type='PerImageClusterIoUMetric', eval_size=100),
    dict(type='MatchedClusterIoUMetric', num_clusters=num_queries,
         matching='hungarian', eval_size=100, prefix='hungarian'),
    dict(type='KMeansClusterMetric', num_clusters=[num_queries],
         protocols=['per_image', 'hungarian'], eval_size=100,
         embed_key='seg_embeddings', prefix='kmeans_k5'),
    dict(type='KMeansClusterMetric', num_clusters=over_k, eval_size=100,
         embed_key='seg_embeddings', prefix='kmeans_backbone'),
    dict(type='KMeansClusterMetric', num_clusters=over_k, eval_size=100,
         embed_key='seg_assignment', prefix='kmeans_alignseg'),
]
val_evaluator = test_evaluator

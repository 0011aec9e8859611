# Evaluate the released PVOC checkpoint (eval_voc_config.yml: FFN 384, one
# decoder layer; the training config says 768 but the released file loads
# strictly only with 384). Convert it first:
#   python tools/model_converters/alignseg_to_docseg.py epoch10.pth \
#       checkpoints/alignseg_vits16_pvoc_docseg.pth
#   python tools/test.py THIS_CONFIG \
#       checkpoints/alignseg_vits16_pvoc_docseg.pth
# Reports (1) AlignSeg's per-image protocol (its published 69.5), (2) the
# dataset-level Hungarian mIoU and (3) the k-means protocol on the frozen
# DINO tokens (k = 21 Hungarian, 100 / 300 / 500 many-to-one; Leopart's).
_base_ = ['./alignseg_vit-s16_1xb32-10e_pvoc.py']
model = dict(
    backbone=dict(init_cfg=None),  # the checkpoint holds the ViT
    decode_head=dict(feedforward_channels=384, upsample='nearest'),
    test_cfg=dict(embeddings='backbone'))
test_evaluator = [
    dict(type='PerImageClusterIoUMetric', eval_size=100),
    dict(type='MatchedClusterIoUMetric', num_clusters=5,
         matching='hungarian', eval_size=100, prefix='hungarian'),
    dict(type='KMeansClusterMetric', num_clusters=[21, 100, 300, 500],
         eval_size=100, prefix='kmeans_backbone'),
]

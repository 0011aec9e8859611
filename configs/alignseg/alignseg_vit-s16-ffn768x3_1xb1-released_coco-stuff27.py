# Evaluate the released COCO-Stuff-27 checkpoint (eval_coco27_config.yml:
# FFN 768, THREE decoder layers). The original feeds every decoder layer the
# initial queries, so only the last layer counts: the released weights were
# trained that way and need decode_head.faithful=True to reproduce 35.1.
#   python tools/model_converters/alignseg_to_docseg.py epoch10.pth \
#       checkpoints/alignseg_vits16_coco27_docseg.pth
#   python tools/test.py THIS_CONFIG \
#       checkpoints/alignseg_vits16_coco27_docseg.pth
_base_ = ['./alignseg_vit-s16_1xb32-100e_coco-stuff27.py']
model = dict(
    backbone=dict(init_cfg=None),  # the checkpoint holds the ViT
    decode_head=dict(num_layers=3, feedforward_channels=768, faithful=True,
                     upsample='nearest'),
    test_cfg=dict(embeddings='backbone'))
test_evaluator = [
    dict(type='PerImageClusterIoUMetric', eval_size=100),
    dict(type='MatchedClusterIoUMetric', num_clusters=5,
         matching='hungarian', eval_size=100, prefix='hungarian'),
    dict(type='KMeansClusterMetric', num_clusters=[27, 100, 300, 500],
         eval_size=100, prefix='kmeans_backbone'),
]

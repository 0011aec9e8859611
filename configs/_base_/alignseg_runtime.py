# default_runtime with mmseg-style visualisation of cluster predictions
# (`tools/test.py --show-dir`) and AlignSeg's seed.
_base_ = ['./default_runtime.py']
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1),
    visualization=dict(
        _delete_=True, type='SegVisualizationWithDirHook', draw=False))
visualizer = dict(
    _delete_=True,
    type='ClusterSegLocalVisualizer',
    num_clusters=5,
    vis_backends=[dict(type='LocalVisBackend')],
    name='visualizer',
    alpha=0.6)
randomness = dict(seed=3407)

# Runtime for the mmseg-style SLRNet configs.
_base_ = ['./default_runtime.py']
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=1,
                    max_keep_ckpts=3),
    visualization=dict(_delete_=True, type='mmseg.SegVisualizationHook'))
visualizer = dict(
    _delete_=True, type='mmseg.SegLocalVisualizer',
    vis_backends=[dict(type='LocalVisBackend')], name='visualizer')

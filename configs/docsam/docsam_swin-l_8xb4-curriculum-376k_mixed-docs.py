# DocSAM-Large with the original's curriculum in one run: dataset families
# are added every 4000 iterations at a fixed lr of 1e-4 (layout; + ancient
# and handwritten; + table; + scene text), then all 57 datasets for 360k
# iterations with cosine decay from 1e-4.
_base_ = ['./docsam_swin-l_8xb4-360k_mixed-docs.py']
stage_iters = 4000
warm_iters = 4 * stage_iters
max_iters = warm_iters + 360000
train_cfg = dict(max_iters=max_iters)
optim_wrapper = dict(optimizer=dict(lr=1e-4))
param_scheduler = [
    dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0,
         end=warm_iters),
    dict(
        type='CosineAnnealingLR',
        by_epoch=False,
        begin=warm_iters,
        end=max_iters,
        eta_min=0.0)
]
custom_hooks = [
    dict(
        type='DatasetCurriculumHook',
        stages=[
            dict(begin=0, families=['layout']),
            dict(begin=stage_iters,
                 families=['layout', 'ancient', 'handwritten']),
            dict(begin=2 * stage_iters,
                 families=['layout', 'ancient', 'handwritten', 'table']),
            dict(begin=3 * stage_iters, families=None),
        ])
]

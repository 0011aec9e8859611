# The six standard scene-text benchmarks as recognition LMDBs (the folder
# names DiG's evaluation uses); point `benchmark_root` at your copy.
benchmark_root = 'data/textrecog/benchmarks/'
benchmarks = dict(
    IIIT5K='IIIT5K_3000',
    SVT='svt_647',
    IC13='IC13_857',
    IC15='ic15_1811',
    SVTP='svt_p_645',
    CUTE80='cute80_288',
)
test_pipeline = [
    dict(type='Resize', scale=(128, 32), keep_ratio=False,
         interpolation='bicubic'),
    dict(type='PackTextRecogInputs'),
]
test_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='RecogLMDBDataset',
        data_root=benchmark_root,
        ann_file=list(benchmarks.values()),
        dataset_names=list(benchmarks.keys()),
        test_mode=True,
        pipeline=test_pipeline))
test_evaluator = dict(type='TextRecogMetric')

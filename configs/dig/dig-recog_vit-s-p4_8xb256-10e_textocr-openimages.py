# DiG recogniser fine-tuned on the annotated real data of the paper ("ARD":
# TextOCR + Open Images V5 text, as recognition LMDBs), 8 GPUs x 256, 10
# epochs, evaluated on the six standard benchmarks. The encoder starts from
# a DiG pretraining checkpoint: a docseg_mm one
# (dig_vit-s-p4_8xb128-amp-coslr-10e_cc-ocr.py) or the released one after
# tools/model_converters/dig_to_docseg.py.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/datasets/text_recog_six_benchmarks.py',
]

pretrained = 'work_dirs/dig_vit-s-p4_8xb128-amp-coslr-10e_cc-ocr/epoch_10.pth'
data_root = 'data/dig/'
train_lmdbs = ['labelled/TextOCR', 'labelled/OpenImagesTextV5']
val_lmdb = 'IIIT5K_3000'
img_size = (32, 128)

dictionary = dict(
    type='Dictionary',
    dict_file='{{ fileDirname }}/../_base_/dicts/printable94.txt',
    with_start=True, with_end=True, with_padding=True, with_unknown=True)
model = dict(
    type='EncoderDecoderRecognizer',
    data_preprocessor=dict(type='ImgDataPreprocessor', mean=[127.5] * 3,
                           std=[127.5] * 3, bgr_to_rgb=True),
    backbone=dict(type='DiGViT', arch='small', img_size=img_size,
                  patch_size=4, drop_rate=0.1, attn_drop_rate=0.1,
                  drop_path_rate=0.1, final_norm=True, out_type='raw',
                  patch_init='default',
                  init_cfg=dict(type='Pretrained', checkpoint=pretrained,
                                prefix='backbone.')),
    neck=dict(type='LinearNormNeck', in_channels=384, out_channels=512),
    decoder=dict(type='TransformerTextHead', dictionary=dictionary,
                 n_layers=6, d_embedding=512, n_head=8, d_k=64, d_v=64,
                 d_model=512, d_inner=256, dropout=0.1, max_seq_len=25,
                 loss=dict(type='SeqCrossEntropyLoss', normalize='batch'),
                 beam_width=0))

# ABINet-style augmentation (DiG's --use_abi_aug).
train_pipeline = [
    dict(type='TextGeometry', degrees=45, scale=(0.5, 2.), shear=(45, 15),
         distortion=0.5, prob=0.5),
    dict(type='TextDeterioration', var=20, degrees=6, factor=4, prob=0.25),
    dict(type='RandomApply', prob=0.25, transforms=[
        dict(type='mmpretrain.ColorJitter', brightness=0.5, contrast=0.5,
             saturation=0.5, hue=0.1)
    ]),
    dict(type='Resize', scale=img_size[::-1], keep_ratio=False,
         interpolation='bicubic'),
    dict(type='PackTextRecogInputs'),
]
train_dataloader = dict(
    batch_size=256,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='RecogLMDBDataset', data_root=data_root,
                 ann_file=train_lmdbs, max_word_len=23,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='RecogLMDBDataset',
                 data_root={{_base_.benchmark_root}}, ann_file=val_lmdb,
                 dataset_names='IIIT5K', test_mode=True,
                 pipeline={{_base_.test_pipeline}}))
val_evaluator = dict(type='TextRecogMetric')

# AdamW, lr 1e-4 * 2048 / 256, wd 0.05 (not on 1-D parameters), layer-wise
# lr decay 0.75 (patch embedding 0.75^13, block k 0.75^(12-k), rest 1).
optim_wrapper = dict(
    type='AmpOptimWrapper',
    optimizer=dict(type='AdamW', lr=8e-4, betas=(0.9, 0.999), eps=1e-8,
                   weight_decay=0.05),
    constructor='mmpretrain.LearningRateDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.75, flat_decay_mult=0.0,
                       bias_decay_mult=0.0))
max_epochs = 10
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, begin=1,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=100),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2,
                    save_best='recog/word_acc_ignore_case_symbol',
                    rule='greater'))
auto_scale_lr = dict(base_batch_size=2048)

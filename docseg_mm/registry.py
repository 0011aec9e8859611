# Copyright (c) docseg_mm contributors. All rights reserved.
"""The ``docseg_mm`` registry scope.

Every registry is a child of MMEngine's root registry of the same kind, so a
bare type name is looked up in ``docseg_mm`` first and then in the root
(mmengine / mmcv). Sibling codebases are never searched: their modules are
reached with a prefix (``mmdet.MaskRCNN``, ``mmdet.Resize``) or ``_scope_``.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import \
    RUNNER_CONSTRUCTORS as MMENGINE_RUNNER_CONSTRUCTORS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import \
    WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

SCOPE = 'docseg_mm'

RUNNERS = Registry('runner', parent=MMENGINE_RUNNERS, scope=SCOPE,
                   locations=['docseg_mm.engine'])
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor', parent=MMENGINE_RUNNER_CONSTRUCTORS, scope=SCOPE,
    locations=['docseg_mm.engine'])
LOOPS = Registry('loop', parent=MMENGINE_LOOPS, scope=SCOPE,
                 locations=['docseg_mm.engine'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, scope=SCOPE,
                 locations=['docseg_mm.engine.hooks'])
LOG_PROCESSORS = Registry('log_processor', parent=MMENGINE_LOG_PROCESSORS,
                          scope=SCOPE, locations=['docseg_mm.engine'])

DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, scope=SCOPE,
                    locations=['docseg_mm.datasets'])
DATA_SAMPLERS = Registry('data sampler', parent=MMENGINE_DATA_SAMPLERS,
                         scope=SCOPE, locations=['docseg_mm.datasets'])
TRANSFORMS = Registry('transform', parent=MMENGINE_TRANSFORMS, scope=SCOPE,
                      locations=['docseg_mm.datasets.transforms'])

MODELS = Registry('model', parent=MMENGINE_MODELS, scope=SCOPE,
                  locations=['docseg_mm.models'])
MODEL_WRAPPERS = Registry('model_wrapper', parent=MMENGINE_MODEL_WRAPPERS,
                          scope=SCOPE, locations=['docseg_mm.models'])
WEIGHT_INITIALIZERS = Registry(
    'weight initializer', parent=MMENGINE_WEIGHT_INITIALIZERS, scope=SCOPE,
    locations=['docseg_mm.models'])
TASK_UTILS = Registry('task util', parent=MMENGINE_TASK_UTILS, scope=SCOPE,
                      locations=['docseg_mm.models'])

OPTIMIZERS = Registry('optimizer', parent=MMENGINE_OPTIMIZERS, scope=SCOPE,
                      locations=['docseg_mm.engine'])
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS,
                          scope=SCOPE, locations=['docseg_mm.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS, scope=SCOPE,
    locations=['docseg_mm.engine'])
PARAM_SCHEDULERS = Registry('parameter scheduler',
                            parent=MMENGINE_PARAM_SCHEDULERS, scope=SCOPE,
                            locations=['docseg_mm.engine'])

METRICS = Registry('metric', parent=MMENGINE_METRICS, scope=SCOPE,
                   locations=['docseg_mm.evaluation'])
EVALUATOR = Registry('evaluator', parent=MMENGINE_EVALUATOR, scope=SCOPE,
                     locations=['docseg_mm.evaluation'])

VISUALIZERS = Registry('visualizer', parent=MMENGINE_VISUALIZERS, scope=SCOPE,
                       locations=['docseg_mm.visualization'])
VISBACKENDS = Registry('vis_backend', parent=MMENGINE_VISBACKENDS, scope=SCOPE)

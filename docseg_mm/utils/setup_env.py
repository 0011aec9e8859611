# Copyright (c) docseg_mm contributors. All rights reserved.
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every docseg_mm module so that its registries are filled.

    Args:
        init_default_scope (bool): Whether to set ``docseg_mm`` as the default
            scope (needed when building modules outside a Runner, e.g. in
            scripts and tests). Defaults to True.
    """
    import docseg_mm.datasets  # noqa: F401
    import docseg_mm.engine  # noqa: F401
    import docseg_mm.evaluation  # noqa: F401
    import docseg_mm.models  # noqa: F401
    import docseg_mm.visualization  # noqa: F401

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or not DefaultScope.check_instance_created('docseg_mm'):
        DefaultScope.get_instance('docseg_mm', scope_name='docseg_mm')
    elif current.scope_name != 'docseg_mm':
        warnings.warn(f'The current default scope "{current.scope_name}" is not '
                      '"docseg_mm"; `register_all_modules` makes a new '
                      'default scope "docseg_mm" for it.')
        name = f'docseg_mm-{datetime.datetime.now()}'
        DefaultScope.get_instance(name, scope_name='docseg_mm')

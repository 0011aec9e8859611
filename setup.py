# Copyright (c) docseg_mm contributors. All rights reserved.
"""Install docseg_mm together with its ``.mim/{configs,tools}`` folders.

``mim train docseg_mm <config>`` looks for configs and ``tools/train.py`` under
``docseg_mm/.mim``. A regular (wheel) install copies them there; an editable
install (``setup.py develop`` or PEP 660 ``editable_wheel``) links them.
"""
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))
MIM_FILES = ('configs', 'tools', 'model-index.yml')


def get_version() -> str:
    scope: dict = {}
    with open(osp.join(HERE, 'docseg_mm', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


def add_mim_extension() -> None:
    """Link (editable install) or copy (wheel build) mim's files into the package."""
    if any(cmd in sys.argv for cmd in ('develop', 'editable_wheel')):
        mode = 'symlink'
    elif any(cmd in sys.argv for cmd in ('sdist', 'bdist_wheel', 'install', 'build')):
        mode = 'copy'
    else:
        return
    mim_path = osp.join(HERE, 'docseg_mm', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in MIM_FILES:
        src = osp.join(HERE, name)
        if not osp.exists(src):
            continue
        dst = osp.join(mim_path, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_path), dst)
        elif osp.isdir(src):
            shutil.copytree(src, dst)
        else:
            shutil.copyfile(src, dst)


def read_requirements(path: str) -> list:
    with open(osp.join(HERE, path)) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='docseg_mm',
        version=get_version(),
        description='OpenMMLab toolkit for document and label-efficient '
        'image segmentation',
        long_description=open(osp.join(HERE, 'README.md')).read(),
        long_description_content_type='text/markdown',
        packages=find_packages(exclude=('configs', 'tools', 'tests', 'projects')),
        include_package_data=True,
        python_requires='>=3.10',
        install_requires=read_requirements('requirements/runtime.txt'),
        extras_require=dict(tests=read_requirements('requirements/tests.txt')),
        zip_safe=False)

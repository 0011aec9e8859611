# Copyright (c) docseg_mm contributors. All rights reserved.
"""The house rules of ``docs/architecture.md``, checked on the source text.

* Imports only go down the layers of :data:`LAYERS` (a package may also
  import its own children to re-export them), with no import circle and no
  module importing its own ancestor package.
* No file in ``docseg_mm/`` (outside ``demo_data/``) or ``tools/`` is longer
  than :data:`MAX_LINES`.
* Nothing in the package imports ``tools`` or ``tests``; tests never load a
  script of ``tools/`` by path (they import the package or run the CLI).
"""
import ast
import os
import os.path as osp
import re
from typing import Dict, List, Set, Tuple

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PKG = 'docseg_mm'
MAX_LINES = 450

#: Rooms of the package from the bottom up; a module may import rooms of
#: a lower layer (and its own room).
LAYERS: Dict[str, int] = {
    'registry': 0, 'version': 0,
    'utils': 1, 'structures': 1,
    'datasets.transforms': 2, 'datasets.samplers': 2, 'models.utils': 2,
    'datasets': 3, 'models.layers': 3,
    'models.backbones': 4, 'models.necks': 4, 'models.heads': 4,
    'models.dense_heads': 4, 'models.losses': 4, 'models.task_modules': 4,
    'models.segmentors': 5, 'models.selfsup': 5, 'models.converters': 5,
    'models': 5,
    'evaluation': 6, 'engine': 6, 'visualization': 6,
    'apis': 7, 'testing': 7, 'demo_data': 7,
    '': 8,  # the package's own __init__
}
#: Modules allowed to import upward inside a function (registration).
LAZY_UPWARD_OK = {'docseg_mm.utils.setup_env'}


def _modules() -> Dict[str, str]:
    mods = {}
    for dirpath, _, files in os.walk(osp.join(REPO, PKG)):
        for name in files:
            if name.endswith('.py'):
                path = osp.join(dirpath, name)
                mod = osp.relpath(path, REPO)[:-3].replace(os.sep, '.')
                mods[mod[:-len('.__init__')] if mod.endswith('.__init__')
                     else mod] = path
    return mods


def room(mod: str) -> str:
    """``docseg_mm.models.dense_heads.docsam_head`` -> ``models.dense_heads``.
    """
    parts = mod.split('.')[1:]
    if len(parts) >= 2 and f'{parts[0]}.{parts[1]}' in LAYERS:
        return f'{parts[0]}.{parts[1]}'
    return parts[0] if parts else ''


def _imports(mods: Dict[str, str]) -> List[Tuple[str, str, bool]]:
    """``(importer, imported module, at module level)`` inside the package.
    """
    edges = []
    for mod, path in mods.items():
        with open(path) as f:
            tree = ast.parse(f.read())
        top = {id(node) for node in tree.body}
        base = mod.split('.') if path.endswith('__init__.py') else \
            mod.split('.')[:-1]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    pkg = base[:len(base) - node.level + 1]
                    target = '.'.join(pkg + ([node.module]
                                             if node.module else []))
                else:
                    target = node.module or ''
                targets = [f'{target}.{a.name}' if f'{target}.{a.name}'
                           in mods else target for a in node.names]
            else:
                continue
            for target in targets:
                if target.split('.')[0] in ('tools', 'tests'):
                    edges.append((mod, target, id(node) in top))
                if target != PKG and not target.startswith(PKG + '.'):
                    continue
                while target not in mods and '.' in target:
                    target = target.rsplit('.', 1)[0]
                edges.append((mod, target, id(node) in top))
    return edges


def test_every_room_has_a_layer():
    assert {room(m) for m in _modules()} <= set(LAYERS)


def test_imports_go_down_the_layers():
    bad = []
    for src, dst, top in _imports(_modules()):
        if dst.split('.')[0] in ('tools', 'tests'):
            bad.append(f'{src} imports {dst}')
            continue
        a, b = room(src), room(dst)
        if a == b or src == dst:
            continue
        if a not in LAYERS or b not in LAYERS:
            bad.append(f'{src} imports {dst}: room without a layer')
            continue
        child = dst.startswith(src + '.')  # a package re-exporting
        if LAYERS[b] >= LAYERS[a] and not child and not (
                not top and src in LAZY_UPWARD_OK):
            bad.append(f'{src} ({a}, layer {LAYERS[a]}) imports {dst} '
                       f'({b}, layer {LAYERS[b]})')
    assert not bad, '\n'.join(bad)


def test_no_import_circle_and_no_ancestor_import():
    mods = _modules()
    graph: Dict[str, Set[str]] = {m: set() for m in mods}
    ancestors = []
    for src, dst, top in _imports(mods):
        if src.startswith(dst + '.'):
            ancestors.append(f'{src} imports its package {dst}')
        if top and dst in graph and src != dst:
            graph[src].add(dst)
    assert not ancestors, '\n'.join(ancestors)
    state: Dict[str, int] = {}
    circles = []

    def visit(node: str, stack: List[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append(' -> '.join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert not circles, '\n'.join(circles)


def test_file_sizes():
    long = []
    for top in (PKG, 'tools'):
        for dirpath, _, files in os.walk(osp.join(REPO, top)):
            if osp.join(PKG, 'demo_data') in dirpath:
                continue  # the demo generator is being replaced
            for name in files:
                if name.endswith(('.py', '.sh')):
                    path = osp.join(dirpath, name)
                    with open(path) as f:
                        n = sum(1 for _ in f)
                    if n > MAX_LINES:
                        long.append(f'{osp.relpath(path, REPO)}: {n}')
    assert not long, f'files over {MAX_LINES} lines: {long}'


def test_tests_do_not_load_tools_by_path():
    pattern = re.compile(r'spec_from_file_location|SourceFileLoader|'
                         r'run_path\(')
    offenders = []
    for dirpath, _, files in os.walk(osp.join(REPO, 'tests')):
        for name in files:
            if name.endswith('.py'):
                path = osp.join(dirpath, name)
                with open(path) as f:
                    if pattern.search(f.read()) and path != __file__:
                        offenders.append(osp.relpath(path, REPO))
    assert not offenders, offenders

#!/usr/bin/env bash
# Install docseg_mm and its OpenMMLab stack into a virtual environment.
#
# Usage: bash tools/misc/install.sh [VENV_DIR]   (default: .venv)
#
# Environment:
#   PYTHON             interpreter used to create the venv (default: python3.11, else python3)
#   DOCSEG_WHEELHOUSE  folder holding a prebuilt mmcv 2.1.0 wheel; defaults to ../shared/wheelhouse
#                      when that exists. Set it to "none" to ignore any wheelhouse.
#   DOCSEG_CACHE       where a locally built mmcv wheel is kept
#                      (default: ${XDG_CACHE_HOME:-~/.cache}/docseg_mm/wheels)
# Every step checks first and does nothing when its result is already there.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VENV=${1:-.venv}
cd "$ROOT"

if [ -z "${PYTHON:-}" ]; then
    if command -v python3.11 >/dev/null 2>&1; then PYTHON=python3.11; else PYTHON=python3; fi
fi
if [ ! -x "$VENV/bin/python" ]; then
    echo "[install] creating virtual environment $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
fi
VPY="$ROOT/$VENV/bin/python"
[ -x "$VPY" ] || VPY="$VENV/bin/python"
CONSTRAINTS="$ROOT/requirements/constraints.txt"
pip_() { "$VPY" -m pip --disable-pip-version-check "$@"; }
# The index's torch / torchvision pair. Local wheel folders configured for pip may hold a
# CPU-only torch build against which torchvision's compiled ops do not load, so the pair is
# resolved from the package index alone.
pip_index() { env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null "$VPY" -m pip --disable-pip-version-check "$@"; }

check_torch() {
    "$VPY" - <<'PY' >/dev/null 2>&1
import torch, torchvision
from torchvision.ops import nms
boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.], [20., 20., 30., 30.]])
keep = nms(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.5)
assert keep.tolist() == [0, 2], keep
assert torch.__version__.split('+')[0] == '2.13.0' and torchvision.__version__.startswith('0.28.0')
PY
}
if ! check_torch; then
    echo "[install] torch 2.13.0 + torchvision 0.28.0 from the package index"
    pip_index install -q --force-reinstall --no-deps "torch==2.13.0" "torchvision==0.28.0"
    pip_index install -q "torch==2.13.0" "torchvision==0.28.0"
    check_torch || { echo "[install] ERROR: torchvision.ops.nms does not run" >&2; exit 1; }
fi
echo "[install] torch + torchvision ops: ok"

pip_ install -q -c "$CONSTRAINTS" "pip>=23,<25" "setuptools>=77,<80" wheel ninja psutil

check_mmcv() {
    "$VPY" -c "import mmcv; assert mmcv.__version__ == '2.1.0'; from mmcv.ops import roi_align, nms" >/dev/null 2>&1
}
if ! check_mmcv; then
    pip_ uninstall -y -q mmcv mmcv-lite >/dev/null 2>&1 || true
    WHEELHOUSE=${DOCSEG_WHEELHOUSE:-}
    if [ -z "$WHEELHOUSE" ] && [ -d "$ROOT/../shared/wheelhouse" ]; then
        WHEELHOUSE="$ROOT/../shared/wheelhouse"
    fi
    TORCH_TAG=$("$VPY" -c "import torch; print(torch.__version__.replace('+', '_'))")
    CACHE=${DOCSEG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/docseg_mm/wheels}/torch-$TORCH_TAG
    WHEEL=""
    PYTAG=$("$VPY" -c "import sys; print(f'cp{sys.version_info[0]}{sys.version_info[1]}')")
    for dir in "$WHEELHOUSE" "$CACHE"; do
        [ -n "$dir" ] && [ "$dir" != none ] && [ -d "$dir" ] || continue
        WHEEL=$(ls "$dir"/mmcv-2.1.0-"$PYTAG"-*.whl 2>/dev/null | head -n 1 || true)
        [ -n "$WHEEL" ] && break
    done
    if [ -z "$WHEEL" ]; then
        echo "[install] building mmcv 2.1.0 with ops from source (about 40 minutes on 2 cores);"
        echo "[install] the wheel is kept in $CACHE"
        mkdir -p "$CACHE"
        MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} pip_ wheel --no-build-isolation --no-deps \
            --no-binary mmcv -c "$CONSTRAINTS" -w "$CACHE" "mmcv==2.1.0"
        WHEEL=$(ls "$CACHE"/mmcv-2.1.0-"$PYTAG"-*.whl | head -n 1)
    fi
    echo "[install] mmcv from $(basename "$WHEEL")"
    pip_ install -q --no-deps "$WHEEL"
    pip_ install -q -c "$CONSTRAINTS" addict packaging pillow pyyaml yapf
fi

pip_ install -q -c "$CONSTRAINTS" -r requirements/runtime.txt -r requirements/tests.txt
check_mmcv || { echo "[install] ERROR: mmcv ops do not load (from mmcv.ops import roi_align, nms)" >&2; exit 1; }
echo "[install] mmcv 2.1.0 ops: ok"

# Editable install of docseg_mm itself (setup.py links .mim/{configs,tools}). The
# setup.py-develop path keeps the package's dist location at the source tree, where
# `mim train/test docseg_mm` look for .mim/.
if ! (cd / && "$VPY" -W ignore -c "import os, sys, pkg_resources; sys.exit(0 if os.path.samefile(pkg_resources.get_distribution('docseg_mm').location, sys.argv[1]) else 1)" "$ROOT") >/dev/null 2>&1; then
    echo "[install] docseg_mm (editable)"
    pip_ install -q --no-deps --no-build-isolation --no-use-pep517 -e .
fi
"$VPY" -c "import mmdet.models, mmseg.models, mmpretrain.models, docseg_mm; print('[install] docseg_mm', docseg_mm.__version__, 'ready')"

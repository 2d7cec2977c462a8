#!/usr/bin/env bash
# One GPU per task, on a machine with real NVIDIA GPUs: starts a private nbgrid stack whose worker
# finds the GPUs with nvidia-smi (one slot per GPU, concurrency = GPUs), maps a probe notebook over
# 2 x the GPUs with require='gpu', and prints which task saw which GPU: CUDA_VISIBLE_DEVICES, the
# devices the CUDA driver itself enumerates in that kernel (through ctypes: what torch/cupy see),
# and torch.cuda when torch is importable (GPU_CHECK_TORCH=1 installs it into a temporary venv).
# Fails when a task saw more GPUs than its slot, or tasks running at once shared a GPU.
# Without GPUs it says so and exits 2. Needs `make build` (worker/dist) and the project's .venv.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "gpu-check: nvidia-smi is not installed: this check needs a machine with NVIDIA GPUs and their driver" >&2
  exit 2
fi
GPUS="$(nvidia-smi -L 2>/dev/null | grep -c '^GPU [0-9]' || true)"
if [ "${GPUS:-0}" -lt 1 ]; then
  echo "gpu-check: nvidia-smi -L lists no GPU on this machine: this check needs NVIDIA GPUs" >&2
  exit 2
fi
if [ ! -x "$ROOT/.venv/bin/python" ] || [ ! -f "$ROOT/worker/dist/cli/index.js" ]; then
  echo "gpu-check: run 'make build' first (needs .venv and worker/dist)" >&2
  exit 2
fi

START=$(date +%s)
export NBGRID_HOME="$(mktemp -d -t nbgrid-gpu-check-XXXXXX)"
nbgrid() { node "$ROOT/worker/bin/nbgrid.js" "$@"; }
cleanup() {
  nbgrid down >/dev/null 2>&1 || true
  rm -rf "$NBGRID_HOME"
}
trap cleanup EXIT
cd "$NBGRID_HOME"

echo "gpu-check: nvidia-smi lists $GPUS GPU(s):"
nvidia-smi -L | sed 's/^/  /'

EXTRA_PATH=""
if [ "${GPU_CHECK_TORCH:-0}" = "1" ]; then
  echo "gpu-check: installing torch into a temporary venv (GPU_CHECK_TORCH=1)"
  "$ROOT/.venv/bin/python" -m venv "$NBGRID_HOME/probe-venv"
  "$NBGRID_HOME/probe-venv/bin/pip" install -q torch
  EXTRA_PATH="$("$NBGRID_HOME/probe-venv/bin/python" -c 'import site; print(site.getsitepackages()[0])')"
fi

echo "gpu-check: starting a stack with one GPU worker (concurrency $GPUS) in $NBGRID_HOME"
nbgrid up --workers 1 --concurrency "$GPUS" >/dev/null

"$ROOT/.venv/bin/python" - "$NBGRID_HOME/gpu-probe.ipynb" "$EXTRA_PATH" <<'PY'
import json, sys
path, extra = sys.argv[1], sys.argv[2]
probe = r'''
import ctypes, os, sys, time
if EXTRA and EXTRA not in sys.path:
    sys.path.append(EXTRA)
seen = {'task': job['param'], 'CUDA_VISIBLE_DEVICES': os.environ.get('CUDA_VISIBLE_DEVICES'),
        'NVIDIA_VISIBLE_DEVICES': os.environ.get('NVIDIA_VISIBLE_DEVICES'), 'pid': os.getpid()}
try:
    cuda = ctypes.CDLL('libcuda.so.1')
    if cuda.cuInit(0) != 0:
        raise RuntimeError('cuInit failed')
    count = ctypes.c_int()
    cuda.cuDeviceGetCount(ctypes.byref(count))
    devices = []
    for i in range(count.value):
        dev = ctypes.c_int()
        cuda.cuDeviceGet(ctypes.byref(dev), i)
        raw = (ctypes.c_ubyte * 16)()
        cuda.cuDeviceGetUuid(raw, dev)
        h = bytes(raw).hex()
        devices.append('GPU-%s-%s-%s-%s-%s' % (h[:8], h[8:12], h[12:16], h[16:20], h[20:]))
    seen['cuda_devices'] = devices
except Exception as e:
    seen['cuda_error'] = repr(e)
try:
    import torch
    seen['torch'] = {'available': torch.cuda.is_available(), 'count': torch.cuda.device_count(),
                     'names': [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]}
except ImportError:
    seen['torch'] = 'not installed'
seen['started'] = time.time()
time.sleep(5)  # long enough that the tasks of one wave overlap
seen['ended'] = time.time()
job['result'] = seen
'''
probe = 'EXTRA = %r\n' % extra + probe.lstrip('\n')
cell = lambda src, tags=(): {'cell_type': 'code', 'metadata': {'tags': list(tags)}, 'source': src, 'outputs': [], 'execution_count': None}
nb = {'nbformat': 4, 'nbformat_minor': 5,
      'metadata': {'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}},
      'cells': [cell("job = globals().get('job', {'param': 0})", ['parameters']), cell(probe)]}
json.dump(nb, open(path, 'w'))
PY

nbgrid put "$NBGRID_HOME/gpu-probe.ipynb" gpu-probe >/dev/null
TASKS=$((2 * GPUS))
echo "gpu-check: mapping gpu-probe over $TASKS tasks (require gpu)"
nbgrid map gpu-probe --range "$TASKS" --require gpu --wait --timeout 240 >/dev/null
nbgrid results gpu-probe > "$NBGRID_HOME/results.json"

"$ROOT/.venv/bin/python" - "$NBGRID_HOME/results.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))
bad = []
print('task  CUDA_VISIBLE_DEVICES  devices the CUDA driver enumerates      torch')
for r in results:
    devices = r.get('cuda_devices', r.get('cuda_error'))
    print('%4s  %-20s  %-38s  %s' % (r['task'], r['CUDA_VISIBLE_DEVICES'], devices, r['torch']))
    if not r['CUDA_VISIBLE_DEVICES']:
        bad.append('task %s ran without CUDA_VISIBLE_DEVICES' % r['task'])
    elif isinstance(devices, list) and len(devices) != len(r['CUDA_VISIBLE_DEVICES'].split(',')):
        bad.append('task %s saw %d devices, its slot has %s' % (r['task'], len(devices), r['CUDA_VISIBLE_DEVICES']))
for a in results:
    for b in results:
        if a['task'] < b['task'] and a['CUDA_VISIBLE_DEVICES'] == b['CUDA_VISIBLE_DEVICES'] \
                and a['started'] < b['ended'] and b['started'] < a['ended']:
            bad.append('tasks %s and %s ran at the same time on GPU %s' % (a['task'], b['task'], a['CUDA_VISIBLE_DEVICES']))
if bad:
    print('gpu-check: FAILED\n  ' + '\n  '.join(bad))
    sys.exit(1)
print('gpu-check: OK, every task saw only its own GPU')
PY
echo "gpu-check: done in $(( $(date +%s) - START )) s"

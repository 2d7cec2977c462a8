"""The batch kernel (``python -m nbgrid.kernels.batch``), started by jupyter_client through the kernelspec
``python -m nbgrid.kernels.kernelspec`` writes, as the Kernel Gateway starts it in spawn mode.

It must behave as ipykernel for a notebook — namespace, ``In``/``Out``, ``%history``, importing
debugpy and jupyter_client, a namespace reset — while starting without debugger support, without
running jupyter_client's package ``__init__`` and writing no history file.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager


@pytest.fixture(scope='module')
def spec_dir(tmp_path_factory):
    data = tmp_path_factory.mktemp('batch-spec')
    done = subprocess.run([sys.executable, '-m', 'nbgrid.kernels.kernelspec', str(data)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return data


def start(spec_dir, home):
    env = {'PATH': os.environ['PATH'], 'IPYTHONDIR': str(home / 'ipython'), 'HOME': str(home)}
    env.update({k: os.environ[k] for k in ('PYTHONPATH',) if k in os.environ})  # a worktree's nbgrid
    km = KernelManager(kernel_name='python3', kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec_dir / 'kernels')]))
    km.start_kernel(env=env, cwd=str(home))
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return km, kc


@pytest.fixture
def kernel(spec_dir, tmp_path):
    km, kc = start(spec_dir, tmp_path)
    yield km, kc, tmp_path
    kc.stop_channels()
    km.shutdown_kernel(now=False)


def run(kc, code):
    out, errors = [], []

    def hook(msg):
        if msg['msg_type'] == 'stream':
            out.append(msg['content']['text'])
        elif msg['msg_type'] == 'error':
            errors.append('%s: %s' % (msg['content']['ename'], msg['content']['evalue']))

    kc.execute_interactive(code, output_hook=hook, timeout=60)
    assert not errors, errors
    return ''.join(out)


def test_the_spec_runs_the_batch_module_with_this_interpreter(spec_dir):
    spec = json.loads((spec_dir / 'kernels' / 'python3' / 'kernel.json').read_text())
    assert spec['argv'] == [sys.executable, '-m', 'nbgrid.kernels.batch', '-f', '{connection_file}']
    assert spec['language'] == 'python'
    assert spec['metadata']['debugger'] is False
    assert spec['metadata']['nbgrid'] == {'kernel': 'batch'}


def test_starts_without_debugger_but_a_notebook_can_import_debugpy(kernel):
    km, kc, _ = kernel
    reply = kc.kernel_info(reply=True, timeout=30)
    assert reply['content']['status'] == 'ok'
    # ipykernel 7 lists 'debugger' in supported_features when it has one (6.x: debugger: true)
    assert 'debugger' not in reply['content'].get('supported_features', [])
    assert reply['content'].get('debugger', False) is False
    assert run(kc, 'import sys; print("debugpy" in sys.modules)').strip() == 'False'
    assert run(kc, 'import debugpy; print(debugpy.__name__)').strip() == 'debugpy'


def test_starts_without_jupyter_clients_init_but_a_notebook_can_use_jupyter_client(kernel):
    km, kc, _ = kernel
    loaded = run(kc, 'import sys; print(sorted(m for m in ("jupyter_client.manager", "jupyter_client.provisioning", "jupyter_client.asynchronous") if m in sys.modules))')
    assert loaded.strip() == '[]'
    used = run(kc, '\n'.join([
        'import importlib.metadata, jupyter_client',
        'from jupyter_client import BlockingKernelClient',
        'print(jupyter_client.KernelManager.__name__, BlockingKernelClient.__name__, jupyter_client.session.Session.__name__,',
        '      jupyter_client.__version__ == importlib.metadata.version("jupyter_client"))',
    ]))
    assert used.split() == ['KernelManager', 'BlockingKernelClient', 'Session', 'True']


def test_history_works_in_memory_and_no_history_file_is_written(kernel):
    km, kc, home = kernel
    run(kc, 'a = 40')
    run(kc, 'b = a + 2')
    assert run(kc, 'print(b, In[1], len(In))').strip() == '42 a = 40 4'
    assert 'b = a + 2' in run(kc, '%history')
    assert run(kc, 'print(get_ipython().history_manager.enabled)').strip() == 'False'
    assert not list((home / 'ipython').rglob('history.sqlite'))


def test_a_namespace_reset_works_as_kernel_reuse_does_it(kernel):
    km, kc, _ = kernel
    run(kc, 'left = 1')
    run(kc, 'get_ipython().reset(new_session=True, aggressive=False)')
    assert run(kc, 'print("left" in globals(), len(In))').strip() == 'False 2'


def test_looks_like_a_fresh_ipykernel_to_the_notebook(kernel, tmp_path):
    km, kc, _ = kernel
    mods = run(kc, 'import sys; print(sorted(m for m in sys.modules if m.split(".")[0] == "nbgrid"))').strip()
    assert mods == '[]'  # a notebook that imports nbgrid gets it fresh
    assert run(kc, 'import sys; print(sys.argv[0])').strip().endswith('nbgrid/kernels/batch.py')
    assert run(kc, 'import os; print(os.getcwd())').strip() == str(tmp_path)
    # the working directory is importable from the notebook, as in ipykernel
    (tmp_path / 'local_mod_for_batch_test.py').write_text('VALUE = 7\n')
    assert run(kc, 'import local_mod_for_batch_test as m; print(m.VALUE)').strip() == '7'


def test_shutdown_runs_the_notebooks_atexit_handlers_and_exits_with_0(spec_dir, tmp_path):
    # ipykernel's own close order can leave the kernel waiting on a flush until the kernel manager
    # SIGTERMs it (then no atexit handler runs); it is a race, so shut down several kernels.
    for i in range(4):
        km, kc = start(spec_dir, tmp_path)
        marker = tmp_path / f'atexit-{i}.txt'
        run(kc, f'import atexit; atexit.register(lambda: open({str(marker)!r}, "w").write("ran"))')
        process = km.provisioner.process
        kc.stop_channels()
        started = time.monotonic()
        km.shutdown_kernel(now=False)
        assert process.returncode == 0, f'kernel {i} ended with {process.returncode} after {time.monotonic() - started:.1f} s'
        assert marker.read_text() == 'ran'



def test_exit_waits_for_threads_and_runs_atexit_handlers_last_registered_first(spec_dir, tmp_path):
    # The kernel ends with os._exit after what Python's exit does for a program: non-daemon
    # threads joined, atexit handlers run (last registered first), stdio flushed.
    km, kc = start(spec_dir, tmp_path)
    order = tmp_path / 'order.txt'
    run(kc, f'''
import atexit, threading, time
def note(what):
    with open({str(order)!r}, 'a') as f:
        f.write(what + '\\n')
atexit.register(note, 'registered first')
atexit.register(note, 'registered last')
threading.Thread(target=lambda: (time.sleep(1), note('thread'))).start()
''')
    process = km.provisioner.process
    kc.stop_channels()
    km.shutdown_kernel(now=False)
    assert process.returncode == 0
    assert order.read_text().splitlines() == ['thread', 'registered last', 'registered first']


def test_the_kernel_skips_the_interpreter_teardown(spec_dir, tmp_path):
    # IPython's atexit handler releases the notebook's namespace (so its objects are finalized, as
    # before); objects held by modules are only released by the interpreter's teardown, skipped now.
    km, kc = start(spec_dir, tmp_path)
    marker, teardown = tmp_path / 'atexit.txt', tmp_path / 'teardown.txt'
    run(kc, f'''
import atexit, json
class _Finalized:
    def __del__(self):
        open({str(teardown)!r}, 'w').write('torn down')
json._nbgrid_test_held = _Finalized()
del _Finalized
atexit.register(lambda: open({str(marker)!r}, 'w').write('ran'))
''')
    process = km.provisioner.process
    kc.stop_channels()
    km.shutdown_kernel(now=False)
    assert process.returncode == 0
    assert marker.read_text() == 'ran'
    assert not teardown.exists()

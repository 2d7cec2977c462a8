"""A deferred package (the batch kernel's jupyter_client) imported by a notebook through one of its
submodules: papermill and scrapbook do ``from jupyter_client.manager import ...`` whose module
imports names from the package, which used to run its ``__init__`` half-way and fail."""
import subprocess
import sys
import textwrap

CODE = textwrap.dedent('''
    import sys
    from nbgrid.kernels.batch import prepare_imports, arm_deferred_packages
    prepare_imports()
    import ipykernel.kernelapp  # the kernel's start-up: jupyter_client's __init__ still deferred
    package = sys.modules['jupyter_client']
    assert '__getattr__' in vars(package), 'start-up ran the deferred __init__'
    arm_deferred_packages()
    import papermill  # noqa: F401  (reaches jupyter_client.manager first)
    import jupyter_client.manager as manager
    assert manager.KernelManager is package.KernelManager
    assert sys.modules['jupyter_client.manager'] is manager
    assert '__getattr__' not in vars(package)
    print('ok')
''')


def test_a_notebook_imports_papermill_in_the_batch_kernel():
    # A fresh interpreter: this test process imported jupyter_client already.
    r = subprocess.run([sys.executable, '-c', CODE], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == 'ok'


def test_without_arming_the_old_failure_is_what_happens():
    # The control: the same import before the fix's finder is armed fails as it did.
    code = CODE.replace('arm_deferred_packages()\n', '')
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and 'partially initialized' in r.stderr

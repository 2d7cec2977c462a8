"""The kernel-side client installs in any kernel environment: it needs the standard library only."""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = f'''
import sys
sys.path.insert(0, {str(REPO)!r})
import nbgrid.client as client
from nbgrid.client import om, Om, StatusTable
from nbgrid.client.table import status_frame
from nbgrid.client.params import map_body
import nbgrid.magics
for name in ('pandas', 'numpy', 'IPython', 'nbformat', 'requests'):
    assert name not in sys.modules, name + ' was imported'
table = status_frame([{{'name': 'a', 'task_id': 'b', 'status': 'SUCCESS', 'run_status': 'OK'}}])
assert isinstance(table, StatusTable), type(table)
assert map_body(range(2)) == {{'range': {{'start': 0, 'stop': 2, 'step': 1}}}}
print('ok')
'''


def test_client_imports_and_works_without_site_packages():
    # -S: no site-packages at all, so pandas/IPython/nbformat cannot be found
    done = subprocess.run([sys.executable, '-S', '-c', SCRIPT], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == 'ok'

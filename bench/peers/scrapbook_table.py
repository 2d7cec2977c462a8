"""The peer of the results-table row: the same table built the way a papermill user builds it.

Executes a notebook that glues two values with papermill once (real papermill output), writes N
output notebooks from it (each with its own parameters, injected cell and glued values, as N
papermill runs would leave them), then times reading them back with scrapbook into a pandas
DataFrame: one row per notebook with its parameters and its scraps.

    python bench/peers/scrapbook_table.py DIR N
prints one JSON line: {"n", "seconds", "rows", "columns", "bytes"}.
"""
import copy
import json
import os
import sys
import time

import nbformat
import pandas as pd
import papermill as pm
import scrapbook as sb

SOURCE = """alpha = 0.5
n = 10"""
BODY = """import scrapbook as sb
sb.glue('acc', round(alpha * n, 6))
sb.glue('loss', round(alpha / n, 6))"""


def template(dirname):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(SOURCE, metadata={'tags': ['parameters']}),
        nbformat.v4.new_code_cell(BODY),
    ])
    nb.metadata['kernelspec'] = {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}
    src = os.path.join(dirname, 'template.ipynb')
    out = os.path.join(dirname, 'executed.ipynb')
    nbformat.write(nb, src)
    pm.execute_notebook(src, out, parameters={'alpha': 0.1, 'n': 1}, progress_bar=False, log_output=False)
    return nbformat.read(out, as_version=4)


def write_outputs(executed, dirname, n):
    """N output notebooks as N papermill runs of the grid alpha x n would write them."""
    size = 0
    outdir = os.path.join(dirname, 'outputs')
    os.makedirs(outdir, exist_ok=True)
    injected = next(i for i, c in enumerate(executed.cells) if 'injected-parameters' in c.metadata.get('tags', []))
    glue_cell = injected + 1
    for i in range(n):
        alpha, k = round(0.01 * (i // 100 + 1), 4), i % 100 + 1
        nb = copy.deepcopy(executed)
        nb.metadata.papermill['parameters'] = {'alpha': alpha, 'n': k}
        nb.cells[injected].source = f'# Parameters\nalpha = {alpha}\nn = {k}\n'
        values = {'acc': round(alpha * k, 6), 'loss': round(alpha / k, 6)}
        for output in nb.cells[glue_cell].outputs:
            for mime, payload in output.get('data', {}).items():
                if mime.startswith('application/scrapbook.scrap.'):
                    payload['data'] = values[payload['name']]
        path = os.path.join(outdir, f'out-{i:05d}.ipynb')
        with open(path, 'w', encoding='utf-8') as f:
            json.dump(nb, f, indent=1, ensure_ascii=False)  # nbformat.write's layout, without its validation
        size += os.path.getsize(path)
    return outdir, size


def read_table(outdir):
    """What a papermill user runs to compare N results: scrapbook over the output notebooks."""
    rows = []
    for book in sb.read_notebooks(outdir).values():
        row = dict(book.parameters)
        row.update(book.scraps.data_dict)
        rows.append(row)
    return pd.DataFrame(rows)


def main():
    dirname, n = sys.argv[1], int(sys.argv[2])
    outdir, size = write_outputs(template(dirname), dirname, n)
    t0 = time.perf_counter()
    frame = read_table(outdir)
    seconds = time.perf_counter() - t0
    print(json.dumps({'n': n, 'seconds': seconds, 'rows': len(frame), 'columns': list(frame.columns), 'bytes': size}))


if __name__ == '__main__':
    main()

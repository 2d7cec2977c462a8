import { notebookFileText } from '../../../../worker/src/cli/commands/get';
import { safeFileName } from '../../../../worker/src/cli/safe-file-name';

describe('safeFileName', () => {
  it.each([
    ['results/tasks/main/cc1a3388-0.ipynb_2024-05-01T10:00:00.000Z.ipynb', 'cc1a3388-0.ipynb_2024-05-01T10-00-00.000Z.ipynb'],
    ['results/tasks/main/cc1a3388-0.ipynb_2020-10-22 11:34:30.751235.ipynb', 'cc1a3388-0.ipynb_2020-10-22 11-34-30.751235.ipynb'],
    ['tasks/main/cc1a3388-3.ipynb', 'cc1a3388-3.ipynb'],
    ['tasks/main/cc1a3388-3', 'cc1a3388-3.ipynb'],
    ['reports/monthly', 'monthly.ipynb'],
    ['a/b*c?d"e<f>g|h\\i', 'b-c-d-e-f-g-h-i.ipynb'],
    ['x/tab\there', 'tab-here.ipynb'],
    ['x/trailing. ', 'trailing.ipynb'],
    ['x/..', 'notebook.ipynb'],
    ['', 'notebook.ipynb']
  ])('%j -> %j', (name, file) => {
    expect(safeFileName(name)).toBe(file);
    // eslint-disable-next-line no-control-regex
    expect(safeFileName(name)).not.toMatch(/[:*?"<>|\\/\u0000-\u001f]/);
  });
});

describe('notebookFileText', () => {
  it('writes JSON indented by one space with a final newline, keys in their order', () => {
    const text = notebookFileText({ nbformat: 4, cells: [{ source: 'x' }], metadata: {} });
    expect(text).toBe('{\n "nbformat": 4,\n "cells": [\n  {\n   "source": "x"\n  }\n ],\n "metadata": {}\n}\n');
  });
});

import './jsdom-polyfills';
import { fireEvent, render, screen } from '@testing-library/react';
import React from 'react';
import { MapForm, validateMapForm, workerLabels, type IMapForm } from '../../src/map-dialog';
import type { IWorkerInfo } from '../../src/types';

const workers: IWorkerInfo[] = [
  { hostname: 'a', labels: ['default', 'gpu'], concurrency: 2, active: 0, processed: 0, last_seen: '' },
  { hostname: 'b', labels: ['default'], concurrency: 2, active: 0, processed: 0, last_seen: '' }
];

describe('validateMapForm', () => {
  it('builds the map request', () => {
    expect(validateMapForm({ parameters: 'range(4)', require: ' gpu ', cellTimeout: '30' })).toEqual({
      request: { range: { start: 0, stop: 4, step: 1 }, require: 'gpu', cell_timeout: 30 }
    });
    expect(validateMapForm({ parameters: '[1, 2]', require: '', cellTimeout: '' })).toEqual({ request: { params: [1, 2] } });
  });

  it('refuses a worker label no map can name, with the rule of the API', () => {
    for (const require of ['my:gpu', 'x'.repeat(65)]) {
      expect(validateMapForm({ parameters: 'range(2)', require, cellTimeout: '' })).toEqual({
        error: `The worker label "${require}" must be 1-64 characters from A-Z a-z 0-9 _ . - (the label a worker serves).`
      });
    }
    expect(validateMapForm({ parameters: 'range(2)', require: 'x'.repeat(64), cellTimeout: '' })).toMatchObject({
      request: { require: 'x'.repeat(64) }
    });
  });

  it('explains what is wrong', () => {
    expect(validateMapForm({ parameters: 'range(', require: '', cellTimeout: '' })).toMatchObject({
      error: expect.stringMatching(/Cannot read the parameters/)
    });
    expect(validateMapForm({ parameters: 'range(2)', require: 'a b', cellTimeout: '' })).toMatchObject({
      error: expect.stringMatching(/worker label/)
    });
    expect(validateMapForm({ parameters: 'range(2)', require: '', cellTimeout: '-1' })).toMatchObject({
      error: expect.stringMatching(/cell timeout/)
    });
  });
});

describe('MapForm', () => {
  it('lists live worker labels and shows parse errors as the person types', () => {
    expect(workerLabels(workers)).toEqual([
      { label: 'default', workers: 2 },
      { label: 'gpu', workers: 1 }
    ]);
    let form: IMapForm = { parameters: 'range(4)', require: '', cellTimeout: '' };
    const onChange = jest.fn((next: IMapForm) => (form = next));
    const { rerender } = render(<MapForm form={form} workers={workers} error="" onChange={onChange} />);
    expect(screen.getByText('4 tasks')).toBeTruthy();
    expect(screen.getByText('Live: default (2 workers), gpu (1 worker)')).toBeTruthy();
    expect(Array.from(document.querySelectorAll('datalist option')).map(o => (o as HTMLOptionElement).value)).toEqual([
      'default',
      'gpu'
    ]);
    fireEvent.change(screen.getByDisplayValue('range(4)'), { target: { value: 'range(4' } });
    rerender(<MapForm form={form} workers={workers} error="" onChange={onChange} />);
    expect(screen.getByRole('alert').textContent).toMatch(/Cannot read the parameters/);
  });
});

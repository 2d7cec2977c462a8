import React from 'react';
import type { MapRequest } from './types';

/** The Map dialog's reduce and cache fields (part of `IMapForm`; absent = not used). */
export interface IReduceCacheForm {
  /** Stored notebook run once every task is final (reduce); empty for none. */
  then?: string;
  /** When the reduce runs: only if every task ended OK, or always. */
  thenWhen?: 'all_ok' | 'always';
  /** Skip tasks whose code cells, parameter and kernelspec already ran OK in this job. */
  cache?: boolean;
}

/** Adds the reduce and cache fields of `form` to `request`; returns the message to show, or null. */
export function applyReduceCache(form: IReduceCacheForm, request: MapRequest): string | null {
  const then = (form.then ?? '').trim();
  if (then) {
    if (then.startsWith('/') || then.split('/').includes('..')) {
      return `The reduce notebook "${then}" must be a stored notebook's name (relative, no "..").`;
    }
    request.then = { notebook: then.replace(/\.ipynb$/, ''), ...(form.thenWhen === 'always' ? { when: 'always' as const } : {}) };
  }
  if (form.cache) {
    request.cache = true;
  }
  return null;
}

/** The fields themselves, below the cell timeout. */
export function ReduceCacheFields<F extends IReduceCacheForm>(props: { form: F; onChange: (form: F) => void }): JSX.Element {
  const { form, onChange } = props;
  return (
    <>
      <label>
        <span>Then run (reduce notebook, optional)</span>
        <input
          className="jp-mod-styled jp-nbgrid-MapForm-then"
          name="then"
          value={form.then ?? ''}
          placeholder="summary"
          title="A stored notebook run once every task is final, with job['results'] in parameter order"
          onChange={e => onChange({ ...form, then: e.target.value })}
        />
      </label>
      <label className="jp-nbgrid-MapForm-check">
        <input
          type="checkbox"
          name="thenAlways"
          checked={form.thenWhen === 'always'}
          disabled={!(form.then ?? '').trim()}
          onChange={e => onChange({ ...form, thenWhen: e.target.checked ? 'always' : 'all_ok' })}
        />
        <span>Reduce even when a task failed</span>
      </label>
      <label className="jp-nbgrid-MapForm-check">
        <input
          type="checkbox"
          name="cache"
          checked={!!form.cache}
          onChange={e => onChange({ ...form, cache: e.target.checked })}
        />
        <span>Use the cache: skip tasks whose code and parameter already ran OK</span>
      </label>
    </>
  );
}

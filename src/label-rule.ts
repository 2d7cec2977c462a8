/**
 * The worker-label check of the Map dialog: the contract's pattern (src/types.ts) and the reserved
 * Redis key names of worker/src/domain/names.ts. The bundle cannot import the worker's values, so
 * the lists are restated; test/worker/unit/contract/names.test.ts fails when they differ.
 */
import { LABEL_PATTERN, LABEL_RULE } from './types';

/** Exact names kombu, Celery or nbgrid keep in Redis (see `RESERVED_LABELS` in domain/names.ts). */
export const RESERVED_LABELS: readonly string[] = [
  'unacked', 'unacked_index', 'unacked_mutex', 'celery', 'celery-revoked', 'celeryev', 'celery-unacked-owner', 'celery-unacked-holders'
];
/** Prefixes of reserved key families (see `RESERVED_LABEL_PREFIXES` in domain/names.ts). */
export const RESERVED_LABEL_PREFIXES: readonly string[] = [
  '_kombu.', 'celery-task-meta-', 'celery-taskset-meta-', 'chord-unlock-', 'celeryev.', 'celery-unacked-held.', 'celery-worker-alive.'
];
/** Suffixes of reserved key families (see `RESERVED_LABEL_SUFFIXES` in domain/names.ts). */
export const RESERVED_LABEL_SUFFIXES: readonly string[] = ['.pidbox'];

/** What is wrong with the label typed into the dialog, in words for the user, or `null`. */
export function labelError(label: string): string | null {
  if (!new RegExp(LABEL_PATTERN).test(label)) {
    return `The worker label "${label}" must be ${LABEL_RULE} (the label a worker serves).`;
  }
  const hit =
    RESERVED_LABELS.find((name) => name === label) ??
    RESERVED_LABEL_PREFIXES.find((prefix) => label.startsWith(prefix))?.concat('*') ??
    RESERVED_LABEL_SUFFIXES.find((suffix) => label.endsWith(suffix))?.replace(/^/, '*');
  if (hit !== undefined) {
    return `The worker label "${label}" is reserved ('${hit}' is a Redis key name kombu, Celery or nbgrid uses); choose another label.`;
  }
  return null;
}

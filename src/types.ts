/**
 * Shapes of the nbgrid REST API as the browser sees them (docs/api.md). They are not written
 * here: each is `Static<>` of its TypeBox schema in worker/src/schemas/, imported type-only
 * (tsconfig.json references worker/tsconfig.contract.json), so the bundle holds no worker code.
 * Only what the extension adds is defined here.
 */
import type { IMapBody, IRange } from '../worker/src/schemas/jobs';
import type { LABEL_PATTERN as CONTRACT_LABEL_PATTERN, LABEL_RULE as CONTRACT_LABEL_RULE } from '../worker/src/domain/names';
import type { QueueState } from '../worker/src/domain/queue-states';

export type {
  INotebookInfo,
  IStatusRow,
  ITaskGroup,
  JsonValue,
  QueueState,
  RunStatus
} from '../worker/src/domain/types';
export type {
  ICancelResult,
  IMapResult,
  INotebookWithContent,
  ICancelOptions,
  IRestartOptions,
  IRestartResult,
  ITaskEvent,
  IWorkerInfo
} from '../worker/src/domain/ports';
export type { FinalState } from '../worker/src/domain/queue-states';
export type { ICreateScheduleBody, ISchedule, IScheduleRun } from '../worker/src/schemas/schedules';
export type { ICleanupBody, ICleanupReport } from '../worker/src/schemas/retention';

/**
 * `list` itself, typed so that it compiles only when it names every member of `T` (the contract's
 * union): a state added to the contract is a compile error here, not a silently missing bar.
 */
export function everyMember<T extends string>() {
  return <L extends readonly T[]>(list: L & ([Exclude<T, L[number]>] extends [never] ? unknown : { missing: Exclude<T, L[number]> })): L =>
    list;
}

/** Every queue state, in the order progress bars stack them. */
export const QUEUE_STATES: readonly QueueState[] = everyMember<QueueState>()([
  'SUCCESS',
  'FAILURE',
  'STARTED',
  'RETRY',
  'PENDING',
  'REVOKED'
] as const);

/**
 * The worker label rule of worker/src/domain/names.ts. The bundle cannot import the worker's
 * values, so it is restated, typed as the contract's literal: a changed rule fails to compile here.
 */
export const LABEL_PATTERN: typeof CONTRACT_LABEL_PATTERN = '^[A-Za-z0-9_.-]{1,64}$';
/** The label rule in words, for messages (the contract's literal, like `LABEL_PATTERN`). */
export const LABEL_RULE: typeof CONTRACT_LABEL_RULE = '1-64 characters from A-Z a-z 0-9 _ . -';

/** Range of parameters, as Python's `range(start, stop, step)`; the extension always sends all three. */
export type IParameterRange = Required<IRange>;

/** Parameters of a map: an explicit list, a range, or a grid expanded by the service. */
export type MapParameters = Required<Pick<IMapBody, 'params'>> | { range: IParameterRange } | Required<Pick<IMapBody, 'grid'>>;

/** Body of `POST /api/jobs/<name>/map`. */
export type MapRequest = MapParameters & Omit<IMapBody, 'params' | 'range'>;

/** `GET <base_url>/nbgrid/config`, answered by the server extension. */
export interface INbgridConfig {
  api_reachable: boolean;
  api_url: string | null;
  message?: string;
  /** This JupyterLab's id, which its kernels send as their maps' `origin` (see `origin-notifier.ts`). */
  lab_origin?: string;
}

export type { INotebookParameter, IParametersResponse, IResultsTable } from '../worker/src/schemas/grid';

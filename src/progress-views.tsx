/**
 * The status panel's live progress: a cells bar per running task with its running cell and an
 * expandable output tail (plus the notebook so far, opened read-only), and the group header's
 * done / running / queued counts with the time left.
 */
import React from 'react';
import type { IGroupEstimate, IProgressEvent } from './progress-store';
import { formatEta } from './progress-store';

/** Cells done of cells to run, the running cell, and a toggle for the output's last lines. */
export function TaskProgressView(props: { progress: IProgressEvent; onOpenPartial?: () => void }): JSX.Element {
  const { progress, onOpenPartial } = props;
  const [open, setOpen] = React.useState(false);
  const total = Math.max(progress.total, 1);
  const lines = progress.display ? [...progress.tail, progress.display] : progress.tail;
  return (
    <div className="jp-nbgrid-TaskProgress" data-task-progress={progress.name}>
      <div className="jp-nbgrid-TaskProgress-line">
        <div
          className="jp-nbgrid-CellBar"
          role="progressbar"
          aria-valuemin={0}
          aria-valuemax={progress.total}
          aria-valuenow={progress.done}
          aria-label={`cells ${progress.done} of ${progress.total}`}
        >
          <div className="jp-nbgrid-CellBar-fill" style={{ width: `${(100 * progress.done) / total}%` }} />
        </div>
        <span className="jp-nbgrid-CellCount">
          cells {progress.done}/{progress.total}
        </span>
        <button
          className="jp-nbgrid-Link jp-nbgrid-TailToggle"
          aria-expanded={open}
          title={open ? 'Hide the output' : 'Show the last lines of output'}
          onClick={() => setOpen(!open)}
        >
          {open ? 'hide output' : `output (${lines.length})`}
        </button>
        {onOpenPartial ? (
          <button className="jp-nbgrid-Link jp-nbgrid-PartialLink" title="Open the notebook as executed so far (a read-only copy)" onClick={onOpenPartial}>
            so far
          </button>
        ) : null}
        {progress.cell ? (
          <span className="jp-nbgrid-RunningCell jp-nbgrid-mono" title={`cell ${progress.cell.index} since ${progress.cell.started}`}>
            [{progress.cell.index}] {progress.cell.source} <CellClock started={progress.cell.started} />
          </span>
        ) : null}
      </div>
      {open ? <pre className="jp-nbgrid-Tail">{lines.length ? lines.join('\n') : '(no output yet)'}</pre> : null}
    </div>
  );
}

/** Seconds since `started`, ticking once a second. */
function CellClock(props: { started: string }): JSX.Element {
  const [, tick] = React.useState(0);
  React.useEffect(() => {
    const timer = setInterval(() => tick(n => n + 1), 1000);
    return () => clearInterval(timer);
  }, []);
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(props.started)) / 1000));
  return <span className="jp-nbgrid-CellClock">{seconds} s</span>;
}

/** `2 running · 5 queued · ≈ 1 min left` of a group header (beside its `n/m done`). */
export function GroupEstimateView(props: { estimate: IGroupEstimate }): JSX.Element {
  const { running, queued, etaSeconds } = props.estimate;
  const eta = running + queued > 0 ? formatEta(etaSeconds) : '';
  return (
    <span className="jp-nbgrid-GroupEstimate">
      {running} running · {queued} queued{eta ? ` · ${eta}` : ''}
    </span>
  );
}

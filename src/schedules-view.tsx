import React from 'react';
import type { StatusModel } from './status-model';
import type { ISchedule } from './types';

function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

/**
 * The schedules of the panel's job with their next and last runs, and links to the groups they
 * made (a link opens that group's tasks below). Nothing is shown for a job without schedules.
 */
export function SchedulesView(props: { model: StatusModel }): JSX.Element | null {
  const { model } = props;
  const [schedules, setSchedules] = React.useState<ISchedule[]>([]);
  const groupsKey = model.groups.map(g => g.task_group).join(',');
  React.useEffect(() => {
    let live = true;
    // A new group may be a schedule's occurrence: its last run changed.
    model.client
      .schedules(model.job)
      .then(found => live && setSchedules(found))
      .catch(() => live && setSchedules([]));
    return () => {
      live = false;
    };
  }, [model, groupsKey]);
  if (schedules.length === 0) {
    return null;
  }
  return (
    <section className="jp-nbgrid-Schedules" aria-label="Schedules">
      <h3>Schedules</h3>
      <table className="jp-nbgrid-TaskTable jp-nbgrid-ScheduleTable">
        <thead>
          <tr>
            <th>cron</th>
            <th>time zone</th>
            <th>next run</th>
            <th>last run</th>
            <th>groups</th>
          </tr>
        </thead>
        <tbody>
          {schedules.map(s => (
            <tr key={s.id} data-schedule={s.id}>
              <td className="jp-nbgrid-mono">{s.cron}</td>
              <td>{s.tz}</td>
              <td className="jp-nbgrid-ScheduleNext">{s.paused ? 'paused' : when(s.next_run)}</td>
              <td>{s.last_run ? `${when(s.last_run.occurrence)} (${s.last_run.state})` : 'not yet'}</td>
              <td>
                {model.groups
                  .filter(g => g.schedule === s.id)
                  .map(g => (
                    <button
                      key={g.task_group}
                      className="jp-nbgrid-Link jp-nbgrid-mono"
                      title={`Show the tasks of group ${g.task_group}, the map of ${when(g.occurrence)}`}
                      onClick={() => void model.expand(g.task_group)}
                    >
                      {g.task_group}
                    </button>
                  ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

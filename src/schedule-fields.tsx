import React from 'react';

/** Label of the Map dialog's button that saves the map as a schedule instead of running it. */
export const SAVE_AS_SCHEDULE = 'Save as schedule';

/** The schedule part of the Map dialog's form. */
export interface IScheduleForm {
  /** Cron expression when the map is saved as a schedule (5 fields or `@daily`...). */
  cron?: string;
  /** IANA time zone of the cron expression; empty means UTC. */
  tz?: string;
}

/** A cron expression and time zone the person chose for a schedule. */
export interface IScheduleChoice {
  cron: string;
  tz: string;
}

/** The schedule the form describes, or the message to show when the cron field is empty. */
export function scheduleOfForm(form: IScheduleForm): IScheduleChoice | { error: string } {
  const cron = (form.cron ?? '').trim();
  if (!cron) {
    return { error: `Give a cron expression (e.g. 0 2 * * * for 02:00 every day, or @hourly) to save the map as a schedule.` };
  }
  return { cron, tz: (form.tz ?? '').trim() || 'UTC' };
}

/** The Map dialog's optional schedule fields: cron expression and time zone. */
export function ScheduleFields<F extends IScheduleForm>(props: { form: F; onChange: (form: F) => void }): JSX.Element {
  const { form, onChange } = props;
  return (
    <fieldset className="jp-nbgrid-MapForm-schedule">
      <legend>Schedule (only for “{SAVE_AS_SCHEDULE}”)</legend>
      <label>
        <span>Cron (5 fields or @daily)</span>
        <input
          className="jp-mod-styled jp-nbgrid-MapForm-cron"
          name="cron"
          value={form.cron ?? ''}
          placeholder="0 2 * * *"
          onChange={e => onChange({ ...form, cron: e.target.value })}
        />
      </label>
      <label>
        <span>Time zone</span>
        <input
          className="jp-mod-styled jp-nbgrid-MapForm-tz"
          name="tz"
          value={form.tz ?? ''}
          placeholder="UTC"
          onChange={e => onChange({ ...form, tz: e.target.value })}
        />
      </label>
    </fieldset>
  );
}

/** nbgrid's task queue over the Celery layer: the notebook task publisher, task events and nbgrid's Redis names. */
export { NbgridTaskPublisher, type INbgridTaskPublisherOptions } from './task-publisher';
export { TaskEventBus } from './task-event-bus';
export { taskEventsChannel } from './keys';

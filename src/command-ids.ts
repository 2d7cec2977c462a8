/** Ids of every nbgrid command, in one place. */
export namespace CommandIDs {
  /** Map the current notebook over parameters (dialog, save, upload, map). */
  export const map = 'nbgrid:map-notebook';
  /** Open the status panel of a job (`args.job`, optional `args.taskGroup`). */
  export const openStatus = 'nbgrid:open-status';
  /** Open a notebook stored in nbgrid (`args.name`: task or result notebook). */
  export const openStored = 'nbgrid:open-stored-notebook';
}

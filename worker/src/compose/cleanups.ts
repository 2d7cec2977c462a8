/**
 * What a composed service or worker started, to be stopped in reverse order: by `close()` once it
 * runs, or at once when composing it failed halfway.
 */
export class Cleanups {
  private readonly steps: Array<() => Promise<void> | void> = [];

  /** Adds a step; steps run last-added first. */
  push(step: () => Promise<void> | void): void {
    this.steps.push(step);
  }

  /** Runs every step not run yet, last-added first. */
  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) await step();
  }
}

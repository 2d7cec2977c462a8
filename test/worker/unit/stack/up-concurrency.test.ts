/**
 * `nbgrid up` leaves a worker's concurrency to the worker unless it is given: a worker that finds
 * GPUs then runs one task per GPU slot, a worker without GPUs keeps 1.
 */
import { Command } from 'commander';
import { registerStackCommands } from '../../../../worker/src/cli/commands/stack-commands';
import { resolveWorkerSettings } from '../../../../worker/src/compose';
import { loadConfig } from '../../../../worker/src/config';
import { workerArgs } from '../../../../worker/src/stack/stack';

describe('nbgrid up --concurrency', () => {
  it('has no default of its own', () => {
    const program = new Command();
    registerStackCommands(program);
    const up = program.commands.find((c) => c.name() === 'up')!;
    const option = up.options.find((o) => o.long === '--concurrency')!;
    expect(option).toBeDefined();
    expect(option.defaultValue).toBeUndefined();
    expect(option.description).toMatch(/one per GPU slot/);
  });

  it('passes --concurrency to a worker only when one was given', () => {
    expect(workerArgs('worker-1', { labels: ['default', 'gpu'] })).toEqual(['worker', '--hostname', 'worker-1@%h', '--label', 'default', '--label', 'gpu']);
    expect(workerArgs('worker-2', { labels: ['default'], concurrency: 3 })).toEqual(
      ['worker', '--hostname', 'worker-2@%h', '--concurrency', '3', '--label', 'default']);
  });

  it('a worker started without --concurrency runs one task per GPU slot, or 1 without GPUs', () => {
    const config = loadConfig({});
    expect(resolveWorkerSettings(config, { gpus: ['0', '1', '2', '3'] }).concurrency).toBe(4);
    expect(resolveWorkerSettings(config, { gpus: ['0', '1', '2', '3'], gpusPerTask: 2 }).concurrency).toBe(2);
    expect(resolveWorkerSettings(config, { gpus: [] }).concurrency).toBe(1);
    // Given explicitly, it wins.
    expect(resolveWorkerSettings(config, { gpus: ['0', '1'], concurrency: 1 }).concurrency).toBe(1);
  });
});

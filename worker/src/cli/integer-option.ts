/** Parsers of integer flags: `--port abc` is refused by name when the command line is read, not NaN later. */
import { InvalidArgumentError } from 'commander';

/** A commander argument parser accepting plain decimal integers from `min` to `max`. */
export function integerOption(min: number, max = Number.MAX_SAFE_INTEGER): (text: string) => number {
  return (text) => {
    const value = /^\s*[+-]?\d+\s*$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `expected an integer of ${min} or more` : `expected an integer from ${min} to ${max}`);
    }
    return value;
  };
}

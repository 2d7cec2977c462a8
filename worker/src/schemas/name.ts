/**
 * The notebook and job name as route schemas see it. The rule itself (pattern, length and the
 * message a person can act on) is `domain/names.ts`, shared with the job service.
 */
import { Type } from '@sinclair/typebox';
import { MAX_NAME_LENGTH, NAME_PATTERN } from '../domain/names';

export { assertValidName, MAX_NAME_LENGTH, NAME_PATTERN, nameProblem } from '../domain/names';

/** A notebook path such as `main` or `reports/monthly`. */
export const NameSchema = Type.String({
  minLength: 1,
  maxLength: MAX_NAME_LENGTH,
  pattern: NAME_PATTERN,
  description: `Notebook path such as 'main' or 'reports/monthly': relative, no '..', no control characters, at most ${MAX_NAME_LENGTH} characters.`,
  examples: ['main', 'reports/monthly']
});

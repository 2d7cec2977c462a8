/** Validation of a map's `notify.webhook` URL, before anything of the map is written. */
import { InvalidInputError } from './errors';

/** The URL, checked: http or https, with a host. @throws InvalidInputError saying what to fix */
export function assertWebhookUrl(value: unknown): string {
  const shown = JSON.stringify(typeof value === 'string' && value.length > 200 ? `${value.slice(0, 200)}…` : value);
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidInputError(`notify.webhook must be an http:// or https:// URL, got ${shown}`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidInputError(`notify.webhook is not a URL: ${shown}; give e.g. "https://hooks.example.org/nbgrid"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidInputError(`notify.webhook must use http or https, got ${JSON.stringify(url.protocol.replace(/:$/, ''))} in ${shown}`);
  }
  if (!url.hostname) throw new InvalidInputError(`notify.webhook has no host: ${shown}`);
  return url.toString();
}

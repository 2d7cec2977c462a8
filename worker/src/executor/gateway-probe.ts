/**
 * Whether a Kernel Gateway answers at all: a worker pauses while its gateway is unreachable
 * instead of failing every queued task (see runtime/infra-guard.ts).
 */

/**
 * Resolves when the gateway at `baseUrl` answers `GET /api/kernelspecs` within `timeoutMs` with
 * anything but a server error; rejects with a message naming the gateway otherwise.
 */
export async function probeGateway(baseUrl: string, token: string, timeoutMs = 3000): Promise<void> {
  const url = `${baseUrl.replace(/\/+$/, '')}/api/kernelspecs`;
  let response: Response;
  try {
    response = await fetch(url, { headers: { Authorization: `token ${token}` }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.message : String(error);
    throw new Error(`Kernel Gateway unreachable at ${baseUrl} (${cause})`);
  }
  await response.body?.cancel().catch(() => undefined);
  if (response.status >= 500) throw new Error(`Kernel Gateway at ${baseUrl} answers ${response.status} ${response.statusText}`);
}

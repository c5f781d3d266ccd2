/**
 * Starts test stand-ins side by side. When one fails to start, the ones that did start are stopped
 * before the failure is thrown: a `beforeAll` that throws never assigns its handles, so its
 * `afterAll` could not stop them (a moto server left running after a failed jar build).
 */
export async function startAll<T extends readonly unknown[]>(
  ...starts: { [K in keyof T]: Promise<T[K]> }
): Promise<T> {
  const settled = await Promise.allSettled(starts);
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure === undefined) {
    return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
  }
  await Promise.allSettled(
    settled.map((s) => (s.status === 'fulfilled' && stoppable(s.value) ? s.value.stop() : undefined)),
  );
  throw failure.reason;
}

function stoppable(v: unknown): v is { stop(): Promise<void> } {
  return typeof v === 'object' && v !== null && typeof (v as { stop?: unknown }).stop === 'function';
}

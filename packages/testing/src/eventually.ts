/**
 * Retries `check` every 100 ms until it resolves or `ms` have passed (then its last error is thrown):
 * for state that arrives asynchronously, like a replica applying the primary's log.
 */
export async function eventually<T>(check: () => Promise<T>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

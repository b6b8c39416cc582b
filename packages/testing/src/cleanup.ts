/**
 * Work to do when the test process ends, however it ends normally (a failed test, vitest tearing
 * down a worker): kill servers we started, remove temp folders. `exit` handlers must be synchronous.
 */
const tasks: (() => void)[] = [];
let installed = false;

export function onProcessExit(task: () => void): void {
  tasks.push(task);
  if (installed) return;
  installed = true;
  process.once("exit", () => {
    for (const t of tasks.splice(0).reverse()) {
      try {
        t();
      } catch {
        // best effort: one failing cleanup must not stop the others
      }
    }
  });
}

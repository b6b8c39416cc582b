import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onProcessExit } from "./cleanup.js";

export interface TempDir {
  /** Absolute path of the new, empty directory. */
  path: string;
  /** A path inside the directory. */
  file(name: string): string;
  /** Removes the directory and everything in it; safe to call twice. */
  cleanup(): void;
}

const live = new Set<string>();
onProcessExit(() => {
  for (const dir of live) rmSync(dir, { recursive: true, force: true });
  live.clear();
});

/** A fresh directory under the OS temp folder, removed by `cleanup()` or, at the latest, when the process exits. */
export function tempDir(prefix = "verdict-test-"): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  live.add(path);
  return {
    path,
    file: (name: string) => join(path, name),
    cleanup() {
      rmSync(path, { recursive: true, force: true });
      live.delete(path);
    },
  };
}

/**
 * A run folder's artifacts/ (turbulence's ArtifactStore.write_instance_artifact writes
 * artifacts/<instance_id>/<filename>): listed for import, written back on export, byte for byte.
 */
import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { RunFileError } from "./errors.js";

export interface ArtifactFile {
  /** Relative to artifacts/, '/'-separated. */
  path: string;
  /** The first folder of the path (turbulence names it after the instance); null for a top-level file. */
  instanceId: string | null;
  abs: string;
}

/** Every regular file under `dir` (recursively), sorted by path; anything else (a link, a FIFO) is refused. */
export function listArtifacts(dir: string): ArtifactFile[] {
  const out: ArtifactFile[] = [];
  const walk = (abs: string, rel: string[]) => {
    for (const e of readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(abs, e.name);
      const parts = [...rel, e.name];
      if (e.isDirectory()) walk(p, parts);
      else if (e.isFile())
        out.push({ path: parts.join("/"), instanceId: parts.length > 1 ? (parts[0] ?? null) : null, abs: p });
      else throw new RunFileError(p, null, "(file)", "not a regular file or folder; artifacts/ may hold only files");
    }
  };
  if (lstatSync(dir).isDirectory()) walk(dir, []);
  return out;
}

/** A stored artifact path, checked before it is joined to an output folder: no '..', no absolute path. */
export function safeArtifactPath(path: string): boolean {
  return (
    path !== "" &&
    !path.startsWith("/") &&
    !path.includes("\\") &&
    path.split("/").every((p) => p !== "" && p !== "." && p !== "..")
  );
}

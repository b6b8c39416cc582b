#!/usr/bin/env node
// Writes one small shell wrapper per `bin` declared in apps/*/package.json into DEST (the Docker
// image uses /usr/local/bin), so `verdict …` and `verdict-worker …` run as commands.
// Usage: node scripts/link-bins.mjs DEST
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const dest = process.argv[2];
if (!dest || !existsSync(dest)) {
  console.error("usage: node scripts/link-bins.mjs DEST (an existing folder)");
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
for (const app of readdirSync(join(root, "apps")).sort()) {
  const manifest = join(root, "apps", app, "package.json");
  if (!existsSync(manifest)) continue;
  const bin = JSON.parse(readFileSync(manifest, "utf8")).bin ?? {};
  const bins = typeof bin === "string" ? { [app]: bin } : bin;
  for (const [name, rel] of Object.entries(bins)) {
    const target = resolve(root, "apps", app, rel);
    writeFileSync(join(dest, name), `#!/bin/sh\nexec node "${target}" "$@"\n`, { mode: 0o755 });
    console.log(`${name} -> ${target}`);
  }
}

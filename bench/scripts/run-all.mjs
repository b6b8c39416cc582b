// Runs every bench/*.bench.ts in turn (or the ones named on the command line), from source via tsx.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const dir = join(dirname(fileURLToPath(import.meta.url)), "..");
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f} ===`);
  const r = spawnSync(process.execPath, ["--conditions=@verdict/source", "--import", "tsx", join(dir, f)], {
    stdio: "inherit",
    cwd: dir,
  });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);

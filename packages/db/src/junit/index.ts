export { type JunitExportResult, exportJunit, junitReportOf } from "./export.js";
export {
  type JunitImportOptions,
  type JunitImportResult,
  importJunit,
  isJunitPath,
  junitFiles,
  readJunit,
} from "./import.js";
export { type CaseOutcome, type JunitCase, type JunitReport, caseOutcome, caseScenario } from "./model.js";
export { emptyReport, looksLikeJunit, parseJunitText } from "./parse.js";
export { renderJunit } from "./render.js";

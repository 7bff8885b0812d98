export {
  BROWSER_IDLE_MS,
  BrowserBusyError,
  BrowserError,
  BrowserPool,
  BUSY_RETRY_AFTER_SECONDS,
  browserPool,
  CHROMIUM_ARGS,
  closeReportBrowsers,
  DEFAULT_CHROMIUM,
  MAX_CONCURRENT_RENDERS,
  MAX_WAITING_RENDERS,
} from './browser-pool.js';
export { type ServiceChart, serviceCharts } from './charts.js';
export { planToCsv } from './csv.js';
export { formatCell } from './format.js';
export { planToHtml, reportContentSecurityPolicy } from './html.js';
export { planToMarkdown } from './markdown.js';
export { type BrowserOptions, planToPdf, withReportPage } from './pdf.js';
export {
  formatInputProblem,
  type InputProblem,
  type InputResult,
  parseInput,
} from './read-input.js';
export {
  type Cell,
  type Column,
  type ColumnKind,
  planSections,
  SECTION_NAMES,
  type Section,
  type SectionName,
} from './sections.js';
export { planToXlsx } from './xlsx.js';

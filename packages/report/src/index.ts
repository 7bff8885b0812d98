export { type ServiceChart, serviceCharts } from './charts.js';
export { planToCsv } from './csv.js';
export { formatCell } from './format.js';
export { planToHtml } from './html.js';
export { planToMarkdown } from './markdown.js';
export {
  BrowserError,
  type BrowserOptions,
  CHROMIUM_ARGS,
  DEFAULT_CHROMIUM,
  planToPdf,
  withReportPage,
} from './pdf.js';
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

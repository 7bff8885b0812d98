import type { CapacityModel, Plan } from '@loadline/capacity';
import ExcelJS from 'exceljs';
import { type ColumnKind, planSections, type Section } from './sections.js';

/** Excel number formats: the cell keeps the full number, the format only rounds its display. */
const NUMBER_FORMAT: Partial<Record<ColumnKind, string>> = {
  int: '0',
  qps: '#,##0',
  ratio: '0.000',
  percent: '0.0%',
  ms: '0.0',
};

const HEADER_FILL: ExcelJS.Fill = {
  type: 'pattern',
  pattern: 'solid',
  fgColor: { argb: 'FFDDE4EE' },
};

function addSheet(workbook: ExcelJS.Workbook, section: Section): void {
  const sheet = workbook.addWorksheet(section.name, {
    views: [{ state: 'frozen', ySplit: 1 }],
  });
  sheet.columns = section.columns.map((c) => ({
    header: c.header,
    width:
      c.kind === 'text' ? Math.max(14, c.header.length + 2) : Math.max(10, c.header.length + 2),
    style: NUMBER_FORMAT[c.kind] ? { numFmt: NUMBER_FORMAT[c.kind]! } : {},
  }));
  const header = sheet.getRow(1);
  header.font = { bold: true };
  header.fill = HEADER_FILL;
  header.alignment = { vertical: 'middle', wrapText: true };
  // null stays an empty cell: "unknown" must not read as 0 machines.
  for (const row of section.rows) sheet.addRow(row.map((v) => v ?? undefined));
  if (section.rows.length > 0) {
    sheet.autoFilter = {
      from: { row: 1, column: 1 },
      to: { row: 1, column: section.columns.length },
    };
  }
}

/** The plan as a workbook, one sheet per section, numbers as numbers with display formats. */
export async function planToXlsx(plan: Plan, model?: CapacityModel): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'loadline';
  // Fixed, so the same plan gives the same workbook; the model carries the real date.
  workbook.created = new Date(model?.provenance.createdAt ?? 0);
  workbook.modified = workbook.created;
  for (const section of planSections(plan, model)) addSheet(workbook, section);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

import { bindingText, type CapacityModel, formatCapacity, type Plan } from '@loadline/capacity';
import { formatCell } from './format.js';
import { planSections, type Section } from './sections.js';

const escapeCell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function table(section: Section): string {
  if (section.rows.length === 0) return '_None._';
  const head = `| ${section.columns.map((c) => escapeCell(c.header)).join(' | ')} |`;
  const rule = `|${section.columns.map((c) => (c.kind === 'text' || c.kind === 'bool' ? ' --- |' : ' ---: |')).join('')}`;
  const body = section.rows.map(
    (row) =>
      `| ${row.map((v, i) => escapeCell(formatCell(v, section.columns[i]!.kind))).join(' | ')} |`,
  );
  return [head, rule, ...body].join('\n');
}

/** The summary reads as sentences; a one-row table of eleven columns does not. */
function headline(plan: Plan, model: CapacityModel | undefined): string {
  const lines = [`**${plan.totalMachines} machines** across ${plan.services.length} services.`];
  if (plan.bottleneck) {
    const { service, headroom } = plan.bottleneck;
    lines.push(
      `Bottleneck: **${service}** (headroom ${formatCell(headroom, 'percent')}): the first to run out as load grows.`,
    );
  }
  lines.push(
    plan.unmet.length === 0
      ? 'Nothing is unmet.'
      : `**${plan.unmet.length} unmet**: the machine counts are not firm (see Unmet).`,
  );
  for (const s of model?.services ?? []) {
    lines.push(
      `${s.service}: ${formatCapacity(s.capacity)} QPS per machine (${bindingText(s.capacity)}, ${s.cores} cores).`,
    );
  }
  if (model) {
    lines.push(
      `Model of ${model.provenance.createdAt} from run(s) ${model.provenance.runs.join(', ')}.`,
    );
  }
  return lines.map((l) => `- ${l}`).join('\n');
}

/** The plan as a Markdown document: a headline, then every section as a table. */
export function planToMarkdown(plan: Plan, model?: CapacityModel): string {
  const sections = planSections(plan, model).filter((s) => s.name !== 'Summary');
  const parts = ['# Capacity plan', headline(plan, model)];
  for (const section of sections) {
    if (!model && (section.name === 'Ratios' || section.name === 'Measurements')) continue;
    parts.push(`## ${section.name}\n\n${table(section)}`);
  }
  return `${parts.join('\n\n').trimEnd()}\n`;
}

import { storedRunSummary } from '@loadline/api';
import { type FeederRows, RunOptions, StoredScenario } from '@loadline/api/http';
import type {
  Approval as ApprovalRow,
  MetadataStore,
  Run as RunRow,
  ScenarioVersion as ScenarioVersionRow,
  Schedule as ScheduleRow,
} from '@loadline/metadata';
import { Scenario } from '@loadline/scenario';

// Rows as the API shows them: the JSON columns (a run's options and summary, a scenario
// version's parsed form, a schedule's options) parsed through their schemas on the way out,
// so what is stored is checked when it is read back.

export function approvalView(approval: ApprovalRow | undefined) {
  if (!approval) return null;
  const { state, requestedBy, requestedAt, expiresAt, decidedBy, decidedAt, reason } = approval;
  return { state, requestedBy, requestedAt, expiresAt, decidedBy, decidedAt, reason };
}

export function runView(run: RunRow, approval?: ApprovalRow) {
  return {
    ...run,
    options: RunOptions.parse(run.options),
    summary: run.summary === null ? null : storedRunSummary(run.summary, run),
    approval: approvalView(approval),
  };
}

/** Rows shown with the approval each waited for: one query for all of them. */
async function withApprovals<Row extends { id: string }, View>(
  metadata: MetadataStore,
  kind: 'run' | 'schedule',
  rows: readonly Row[],
  view: (row: Row, approval: ApprovalRow | undefined) => View,
): Promise<View[]> {
  const approvals = await metadata.access.approvalsOf(
    kind,
    rows.map((r) => r.id),
  );
  return rows.map((row) => view(row, approvals.get(row.id)));
}

/** Runs as the API shows them, each with the approval it waited for. */
export function runViews(metadata: MetadataStore, runs: readonly RunRow[]) {
  return withApprovals(metadata, 'run', runs, runView);
}

export async function runViewOf(metadata: MetadataStore, run: RunRow) {
  return runView(run, await metadata.access.getApproval('run', run.id));
}

export function scheduleView(schedule: ScheduleRow, approval?: ApprovalRow) {
  return {
    ...schedule,
    options: RunOptions.parse(schedule.options),
    approval: approvalView(approval),
  };
}

export function scheduleViews(metadata: MetadataStore, schedules: readonly ScheduleRow[]) {
  return withApprovals(metadata, 'schedule', schedules, scheduleView);
}

/**
 * A stored scenario version's parsed form with its scenario validated again: what a launch,
 * a schedule and a recovery run from.
 */
export function storedScenarioOf(parsed: unknown): { scenario: Scenario; feederRows: FeederRows } {
  const form = StoredScenario.parse(parsed);
  return { scenario: Scenario.parse(form.scenario), feederRows: form.feederRows };
}

export function scenarioVersionView(version: ScenarioVersionRow) {
  return { ...version, parsed: StoredScenario.parse(version.parsed) };
}

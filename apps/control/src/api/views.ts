import { storedRunSummary } from '@loadline/api';
import { type FeederRows, RunOptions, StoredScenario } from '@loadline/api/http';
import type {
  Run as RunRow,
  ScenarioVersion as ScenarioVersionRow,
  Schedule as ScheduleRow,
} from '@loadline/metadata';
import { Scenario } from '@loadline/scenario';

// Rows as the API shows them: the JSON columns (a run's options and summary, a scenario
// version's parsed form, a schedule's options) parsed through their schemas on the way out,
// so what is stored is checked when it is read back.

export function runView(run: RunRow) {
  return {
    ...run,
    options: RunOptions.parse(run.options),
    summary: run.summary === null ? null : storedRunSummary(run.summary, run),
  };
}

export function scheduleView(schedule: ScheduleRow) {
  return { ...schedule, options: RunOptions.parse(schedule.options) };
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

import { dirname, resolve } from 'node:path';
import { FeederFileError, type FeederFiles, resolveFeederFile } from '@loadline/engine';
import type { Scenario, ScenarioProblem } from '@loadline/scenario';

/**
 * Where a scenario file's feeders may be read: its own folder, and the folders given with
 * `--allow-path DIR` (relative to the working directory).
 */
export function feederFilesOf(
  scenarioFile: string,
  allowPaths: readonly string[] = [],
): FeederFiles {
  return {
    baseDir: dirname(resolve(scenarioFile)),
    allowedDirs: allowPaths.map((dir) => resolve(dir)),
  };
}

/**
 * A parseScenario check: every feeder's file exists within `files`, so a path that leaves
 * the scenario's folder is reported at `feeders.NAME.file` with line:column, before
 * anything is read, run or uploaded.
 */
export function checkFeederFiles(files: FeederFiles): (scenario: Scenario) => ScenarioProblem[] {
  return (scenario) =>
    Object.entries(scenario.feeders).flatMap(([name, feeder]) => {
      try {
        resolveFeederFile(name, feeder.file, files);
        return [];
      } catch (error) {
        if (!(error instanceof FeederFileError)) throw error;
        return [{ path: ['feeders', name, 'file'], message: error.reason }];
      }
    });
}

import { createWriteStream, type WriteStream } from 'node:fs';
import { LoadEngine, type RunReport } from '@loadline/engine';
import { createLatencyHistogram, HlogWriter, latencyAtPercentileMs } from '@loadline/histogram';
import { type BenchConfig, parseBenchOptions, type RawBenchOptions } from '../bench-options.js';
import { capacityPath, MAX_LATE_SHARE, saveCapacity } from '../capacity-file.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import { benchJson, finalTable, progressLine } from '../render.js';

export interface BenchIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

function openHlog(path: string): Promise<WriteStream> {
  return new Promise((resolve, reject) => {
    const stream = createWriteStream(path);
    stream.once('open', () => resolve(stream));
    stream.once('error', (error: NodeJS.ErrnoException) =>
      reject(new UsageError('--hlog', `cannot write "${path}" (${error.code ?? error.message})`)),
    );
  });
}

function everyRequestFailed(report: RunReport): boolean {
  return report.requests > 0 && Object.keys(report.statusCodes).length === 0;
}

function failureHint(config: BenchConfig, report: RunReport): string {
  const causes = Object.entries(report.transportErrors)
    .map(([code, n]) => `${code} × ${n}`)
    .join(', ');
  const where = config.target.url.host;
  const hint =
    'ECONNREFUSED' in report.transportErrors ? ` — is anything listening on ${where}?` : '';
  return `every request failed (${causes})${hint}`;
}

/**
 * `--save-capacity`: what this machine's agent carries, saved when the generator kept up
 * (fewer than 1 % of sends late); otherwise it says so and saves nothing.
 */
function saveMachineCapacity(
  config: BenchConfig,
  report: RunReport,
  xdgConfigHome: string | undefined,
  stderr: NodeJS.WritableStream,
): void {
  const lateShare = report.requests === 0 ? 1 : report.late / report.requests;
  const perSecond = report.durationS > 0 ? report.requests / report.durationS : 0;
  if (report.aborted || perSecond <= 0 || lateShare > MAX_LATE_SHARE) {
    stderr.write(
      `loadline bench: capacity not saved: ${(lateShare * 100).toFixed(1)} % of sends left late, so this machine did not carry ${config.loadDescription}; measure again at a lower --rate\n`,
    );
    return;
  }
  const path = capacityPath(xdgConfigHome);
  saveCapacity(path, {
    requestsPerSecond: Math.round(perSecond),
    measuredAt: new Date().toISOString(),
    measuredWith: `${config.target.method} ${config.target.url.href} (${config.loadDescription})`,
    lateShare,
  });
  stderr.write(
    `loadline bench: saved ${Math.round(perSecond)} requests/s as one agent's capacity on this machine (${path}); \`loadline agent\` reports it to control\n`,
  );
}

/** Runs `loadline bench`; returns the exit code. */
export async function runBench(
  raw: RawBenchOptions,
  io: BenchIo,
  env: { XDG_CONFIG_HOME?: string | undefined } = {},
): Promise<number> {
  const config = parseBenchOptions(raw);
  const hlogStream = config.hlogPath ? await openHlog(config.hlogPath) : undefined;
  const hlog = hlogStream ? new HlogWriter((chunk) => hlogStream.write(chunk)) : undefined;
  const engine = new LoadEngine({
    target: config.target,
    model: config.model,
    pipelining: config.pipelining,
    timeoutMs: config.timeoutMs,
    insecure: config.insecure,
  });

  const live = io.stderr.isTTY === true;
  const soFar = createLatencyHistogram();
  const totals = { requests: 0, errors: 0, late: 0, dropped: 0 };
  engine.on('interval', (interval) => {
    if (hlog) {
      if (interval.index === 0) {
        hlog.writeHeader(
          interval.startMs,
          `loadline bench ${config.target.method} ${config.target.url.href} (${config.loadDescription}); values in µs`,
        );
      }
      hlog.writeInterval(interval.histogram, interval.startMs, interval.endMs);
    }
    if (!live) return;
    soFar.add(interval.histogram);
    totals.requests += interval.requests;
    totals.errors += interval.errors;
    totals.late += interval.late;
    totals.dropped += interval.dropped;
    const line = progressLine(interval, {
      ...totals,
      elapsedS: interval.elapsedS,
      totalS: config.durationMs / 1000,
      p99SoFarMs: latencyAtPercentileMs(soFar, 99),
    });
    io.stderr.write(`\r\x1b[2K${line}`);
  });

  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts > 1) process.exit(ExitCode.aborted);
    engine.stop('interrupted');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let report: RunReport;
  try {
    report = await engine.run();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (live) io.stderr.write('\r\x1b[2K');
  if (hlogStream) await new Promise<void>((resolve) => hlogStream.end(resolve));

  if (config.json) {
    io.stdout.write(`${JSON.stringify(benchJson(report))}\n`);
  } else {
    const heading = `loadline bench  ${config.target.method} ${config.target.url.href}  (${config.loadDescription})`;
    io.stdout.write(finalTable(report, heading));
  }
  if (raw.saveCapacity && !everyRequestFailed(report)) {
    saveMachineCapacity(config, report, env.XDG_CONFIG_HOME, io.stderr);
  }
  if (report.aborted) return ExitCode.aborted;
  if (everyRequestFailed(report)) {
    io.stderr.write(`loadline bench: ${failureHint(config, report)}\n`);
    return ExitCode.thresholdsFailed;
  }
  return ExitCode.passed;
}

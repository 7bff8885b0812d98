/**
 * The k6 runner judged as a generator, with the engine's own rule (GeneratorJudge): each
 * second, how many requests it sent, how many arrival-rate iterations started more than
 * 10 ms behind their schedule, how many it dropped, its event-loop delay and CPU. A
 * saturated runner measured itself, not the target, and the run says so (exit 5).
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { GeneratorReading } from '@loadline/api';

/** Behind schedule by more than this, an iteration's start counts as late (as the engine's sends). */
export const LATE_MS = 10;

export class GeneratorMeter {
  sent = 0;
  late = 0;
  dropped = 0;
  readonly #loopDelay = monitorEventLoopDelay({ resolution: 1 });
  #since = performance.now();
  #cpu = process.cpuUsage();

  constructor() {
    this.#loopDelay.enable();
  }

  /** An arrival-rate iteration starts: late when the event loop let it slip. */
  started(intendedAt: number, now: number): void {
    if (now - intendedAt > LATE_MS) this.late++;
  }

  /** The reading since the last one; counters start again. */
  read(): GeneratorReading {
    const now = performance.now();
    const cpu = process.cpuUsage(this.#cpu);
    const ms = Math.max(now - this.#since, 1);
    const reading: GeneratorReading = {
      second: Math.floor((Date.now() - ms) / 1000),
      sent: this.sent,
      late: this.late,
      dropped: this.dropped,
      eventLoopDelayP99Ms: this.#loopDelay.percentile(99) / 1e6,
      cpu: (cpu.user + cpu.system) / 1000 / ms,
      ms,
    };
    this.sent = 0;
    this.late = 0;
    this.dropped = 0;
    this.#loopDelay.reset();
    this.#since = now;
    this.#cpu = process.cpuUsage();
    return reading;
  }

  close(): void {
    this.#loopDelay.disable();
  }
}

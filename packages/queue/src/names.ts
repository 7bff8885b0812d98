import { DEFAULT_NAMESPACE } from '@loadline/config';

/**
 * Every Redis name Loadline uses, under one namespace so that several installations (or
 * test runs) can share a Redis without seeing each other.
 */
export class RedisNames {
  constructor(readonly namespace = DEFAULT_NAMESPACE) {}

  get shardQueue(): string {
    return `${this.namespace}-shards`;
  }
  get scheduleQueue(): string {
    return `${this.namespace}-schedules`;
  }
  get results(): string {
    return `${this.namespace}:results`;
  }
  get agents(): string {
    return `${this.namespace}:agents`;
  }
  /** the active control's clock against Redis's (ControlClock) */
  get controlClock(): string {
    return `${this.namespace}:control-clock`;
  }
  agent(agentId: string): string {
    return `${this.namespace}:agent:${agentId}`;
  }
  signals(runId: string): string {
    return `${this.namespace}:signals:${runId}`;
  }
  lastSignal(runId: string): string {
    return `${this.namespace}:signal:${runId}`;
  }
}

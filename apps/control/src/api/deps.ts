import type { MetadataStore } from '@loadline/metadata';
import type { Redis, RedisNames } from '@loadline/queue';
import type { ResultStore } from '@loadline/store';
import type { RunCoordinator } from '../coordinator.js';
import type { ScheduleDriver } from '../schedules.js';

/** What the API's handlers work with. */
export interface RouteDeps {
  metadata: MetadataStore;
  store: ResultStore;
  redis: Redis;
  names: RedisNames;
  coordinator: RunCoordinator;
  schedules: ScheduleDriver;
  /** the key shadow tags of runs in environment `name` are signed with */
  shadowSecretFor: (name: string) => string;
  log?: (line: string) => void;
}

export { Control, type ControlConfig, configFromEnv } from './control.js';
export { planShards } from './coordinator.js';
export { DataDirInUseError } from './data-dir-lock.js';

export { Control, type ControlConfig, configFromEnv } from './control.js';
export { planShards } from './coordinator.js';

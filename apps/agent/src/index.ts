export { Agent, type AgentOptions } from './agent.js';
export { agentOptionsFromEnv } from './env.js';

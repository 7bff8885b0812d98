export { Agent, type AgentOptions } from './agent.js';
export { type AgentCredentials, enrollAgent } from './credentials.js';
export { agentOptionsFromEnv } from './env.js';

// Every process's variables, in README order. Not exported from index.ts: the shadow SDK's
// schema lives in @loadline/shadow (it runs inside users' services, without this package).
import { ShadowEnv } from '@loadline/shadow';
import type { EnvSection } from './docs.js';
import {
  AgentEnv,
  CliEnv,
  ConsoleEnv,
  ControlEnv,
  DemoMallEnv,
  DemoPaymentEnv,
} from './processes.js';

export const ENV_SECTIONS: EnvSection[] = [
  {
    title: 'loadline (CLI)',
    about:
      'Parsed once, when the first command that reads one runs (`apps/cli/src/main.ts`); a bad value of a variable the command reads is exit 2. `loadline verify` also expands `${VAR}` and `${VAR:-default}` in its stores file from the whole environment.',
    schema: CliEnv,
  },
  {
    title: 'control',
    about:
      '`configFromEnv` in `apps/control/src/control.ts`; flags of `loadline control` and `up` override.',
    schema: ControlEnv,
  },
  {
    title: 'agent',
    about: '`agentOptionsFromEnv` in `apps/agent/src/env.ts`; flags of `loadline agent` override.',
    schema: AgentEnv,
  },
  {
    title: 'console',
    about:
      'The Next.js server, on the first request it forwards (`apps/console/src/lib/control-url.ts`).',
    schema: ConsoleEnv,
  },
  {
    title: 'demo mall',
    about: '`npm run demo` (`apps/demo-mall/src/main.ts`); a bad value is exit 2.',
    schema: DemoMallEnv,
  },
  {
    title: 'demo mall payment service',
    about: 'The child process the mall starts for payment (`apps/demo-mall/src/payment-main.ts`).',
    schema: DemoPaymentEnv,
  },
  {
    title: 'shadow SDK (`@loadline/shadow/register`)',
    about:
      'Read by the zero-code preload inside a service (`packages/shadow/src/config.ts`); SDK users may call `parseShadowEnv` too.',
    schema: ShadowEnv,
  },
];

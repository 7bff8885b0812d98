import { dirname, resolve } from 'node:path';
import { type CompiledPlan, compileReplay, type FlowModel } from '@loadline/engine';
import { type Corpus, corpusFromJson, corpusFromJsonLines, replayShards } from '@loadline/replay';
import { planReplayTiming, type Replay, type Scenario } from '@loadline/scenario';
import { UsageError } from '../exit-codes.js';
import { MAX_CORPUS_BYTES, readText } from '../read-text.js';

/** Reads the corpus a local replay names (`replay.file`, relative to the scenario). */
async function readCorpus(replay: Replay, scenarioFile: string): Promise<Corpus> {
  if (replay.file === undefined) {
    throw new UsageError(
      undefined,
      `${scenarioFile}: replay.corpus names a corpus stored in control; run it without --local, or give replay.file (a corpus from \`loadline import --out\`) to replay here`,
    );
  }
  const path = resolve(dirname(resolve(scenarioFile)), replay.file);
  const text = await readText(path, undefined, MAX_CORPUS_BYTES);
  try {
    return path.endsWith('.jsonl') ? corpusFromJsonLines(text) : corpusFromJson(text);
  } catch (error) {
    throw new UsageError(undefined, `${path} is not a replay corpus: ${(error as Error).message}`);
  }
}

/** `loadline run --local` of a replay scenario: one agent, the whole corpus. */
export async function localReplay(
  scenario: Scenario & { replay: Replay },
  scenarioFile: string,
  rateMultiplier: number,
): Promise<{ plan: CompiledPlan; model: FlowModel; durationMs: number }> {
  const { replay } = scenario;
  const corpus = await readCorpus(replay, scenarioFile);
  const { timing, maxInFlight } = planReplayTiming(replay, { rateMultiplier });
  const { steps, shards, plan } = replayShards(corpus, { ...timing, agents: 1 });
  const model: FlowModel = {
    kind: 'replay',
    steps,
    sends: shards[0] ?? [],
    maxInFlight,
  };
  return {
    plan: compileReplay(scenario.name, scenario.target, model),
    model,
    durationMs: plan.durationMs,
  };
}

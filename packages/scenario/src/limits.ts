// How big a scenario may be. A scenario is input from anyone who may save one (a file, the
// console, the API), so every list, string and number in it has a ceiling: far above any
// real test, low enough that checking, storing and planning it stays cheap. Control bounds
// a run's overrides with the same numbers.

/** Scenario text, in UTF-8 bytes: the CLI refuses a bigger file before reading it. */
export const MAX_SCENARIO_BYTES = 2 * 1024 * 1024;
/** What YAML aliases may expand the document to, in characters of its JSON form. */
export const MAX_EXPANDED_CHARS = 4 * 1024 * 1024;
/** Aliases (`*name`) in one document; a scenario needs a handful. */
export const MAX_ALIASES = 1000;
/** Uses of one anchor, as the `yaml` package counts them (its `maxAliasCount`). */
export const MAX_ALIAS_COUNT = 100;
/** Nesting of mappings and lists, the document's own and a `json:` body's included. */
export const MAX_NESTING = 64;
/** Problems listed for one scenario; the rest are counted. */
export const MAX_REPORTED_PROBLEMS = 100;

/** Scenario, flow, step, environment, feeder, variable and header names. */
export const MAX_NAME_LENGTH = 128;
export const MAX_DESCRIPTION_LENGTH = 4096;
/** A request path (with query), a header value, a file path, a body search string. */
export const MAX_PATH_LENGTH = 8 * 1024;
export const MAX_HEADER_VALUE_LENGTH = 8 * 1024;
/** A request body (`body:`, or `json:` as JSON text), in characters. */
export const MAX_BODY_LENGTH = 1024 * 1024;
/** Text a duration, threshold condition or extractor is written in. */
export const MAX_EXPRESSION_LENGTH = 1024;

export const MAX_FLOWS = 100;
export const MAX_STEPS_PER_FLOW = 200;
export const MAX_HEADERS = 100;
export const MAX_EXTRACTS = 100;
export const MAX_STAGES = 1000;
/** Threshold selectors, and conditions per selector. */
export const MAX_THRESHOLDS = 200;
export const MAX_CONDITIONS = 20;
export const MAX_GUARDRAILS = 50;
export const MAX_FEEDERS = 32;

/** Any one duration, and a whole run (the sum of its stages): seven days. */
export const MAX_DURATION_MS = 7 * 24 * 3_600_000;
/** Arrivals per second (rate, stage targets, a replay's rate). */
export const MAX_RATE = 10_000_000;
export const MAX_VUS = 1_000_000;
/** Sends in flight at once over a whole run. */
export const MAX_IN_FLIGHT = 10_000_000;
export const MAX_AGENTS = 10_000;
/** A replay's speed-up over its original timing. */
export const MAX_REPLAY_SPEED = 1000;
/** A flow's weight relative to the others. */
export const MAX_WEIGHT = 1_000_000;
/** Cores of a capacity probe's machine. */
export const MAX_CORES = 4096;

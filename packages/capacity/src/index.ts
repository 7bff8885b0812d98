export { type BuildModelOptions, buildModel } from './build-model.js';
export {
  bindingText,
  CapacityRange,
  computeCapacity,
  formatCapacity,
  LimitName,
  MachineCapacity,
  Ramp,
  RampPoint,
  UslLimit,
} from './capacity.js';
export { type CsvProblem, formatCsvProblem, parseUslCsv, type UslCsvResult } from './csv.js';
export { CostDrift, CostRun, costDrift } from './drift.js';
export { FanoutFit, FanoutOptions, FanoutSecond, fitFanout, ServiceFanout } from './fanout.js';
export { DEFAULT_CAPACITY_QUANTILE, Forecast, Redundancy } from './forecast.js';
export {
  type FromRunsOptions,
  measurementsFromRuns,
  type ScrapedRow,
  type StoredRun,
} from './from-runs.js';
export { GaugeLimit, gaugeLimit, gaugeNames } from './gauge.js';
export { EXTRAPOLATION_FACTOR, KneeLimit, kneeLimit, kneeUtilisation } from './knee.js';
export { fitLine, LinearFit } from './linear.js';
export { Measurements, ServiceMeasurements } from './measurements.js';
export { CapacityModel, Provenance, ServiceModel, UslCurve } from './model.js';
export { type NnlsResult, nnls } from './nnls.js';
export {
  capacityAtQuantile,
  Plan,
  PlanInput,
  planCapacity,
  ServicePlan,
  Unmet,
} from './plan.js';
export { planFromModel } from './plan-model.js';
export { rampConcurrency } from './ramp.js';
export { Slo, SloLimit, sloLimit } from './slo.js';
export { fitUsl, type UslFit, type UslFitOptions, UslInputError } from './usl.js';
export { type UslParameters, UslPeak, UslPoint, uslPeak, uslThroughput } from './usl-model.js';
export {
  type UslIntervals,
  type UslQuality,
  UslQualityGates,
  uslIntervals,
  uslQuality,
} from './usl-quality.js';
export { PlanValidation, ServiceValidation } from './validation.js';
export { GROWTH_FACTOR, WhatIfs } from './whatif.js';

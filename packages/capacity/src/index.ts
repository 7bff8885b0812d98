export {
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
export { Forecast, Redundancy } from './forecast.js';
export { EXTRAPOLATION_FACTOR, KneeLimit, kneeLimit, kneeUtilisation } from './knee.js';
export { fitLine, LinearFit } from './linear.js';
export { CapacityModel, Provenance, ServiceModel, UslCurve } from './model.js';
export { type NnlsResult, nnls } from './nnls.js';
export { Plan, PlanInput, planCapacity, ServicePlan, Unmet } from './plan.js';
export { Slo, SloLimit, sloLimit } from './slo.js';
export { fitUsl, type UslFit, type UslFitOptions, UslInputError } from './usl.js';
export { type UslParameters, UslPeak, UslPoint, uslPeak, uslThroughput } from './usl-model.js';
export { GROWTH_FACTOR, WhatIfs } from './whatif.js';

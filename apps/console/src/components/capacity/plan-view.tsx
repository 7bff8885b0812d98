'use client';
// A plan for a forecast: machines per service, the first bottleneck, the zone-down and
// growth what-ifs, what cannot be met, and the plan's reports to download.
import { controlApi } from '@loadline/api/http';
import type { CapacityModel, Forecast, Plan } from '@loadline/capacity';
import { type ApiError, apiError, send } from '@/lib/api';
import { qps } from '@/lib/capacity-form';

const EXPORTS = ['md', 'csv', 'xlsx', 'pdf'] as const;

async function download(model: CapacityModel, forecast: Forecast, format: string) {
  const response = await send(controlApi.planCapacity, {
    query: { format },
    body: { model, forecast },
  });
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = `capacity-plan.${format}`;
  a.click();
  // Revoked after the browser has started the download, not before.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function Headline({ plan }: { plan: Plan }) {
  return (
    <p role="status" data-testid="plan-headline">
      {plan.totalMachines} machines
      {plan.bottleneck
        ? `; first bottleneck ${plan.bottleneck.service} (headroom ${(plan.bottleneck.headroom * 100).toFixed(1)}%)`
        : ''}
      {plan.whatIf.zoneDown
        ? plan.whatIf.zoneDown.survives
          ? `; survives one of ${plan.whatIf.zoneDown.zones} zones down`
          : `; does NOT survive one of ${plan.whatIf.zoneDown.zones} zones down`
        : ''}
      {`; peak × ${plan.whatIf.growth.factor} needs ${plan.whatIf.growth.totalMachines}`}.
    </p>
  );
}

function PlanTable({ plan }: { plan: Plan }) {
  return (
    <table data-testid="plan-table">
      <thead>
        <tr>
          <th>Service</th>
          <th className="num">Required QPS</th>
          <th className="num">Per machine</th>
          <th>Capacity range</th>
          <th className="num">Machines</th>
          <th className="num">At the median</th>
          <th className="num">Headroom</th>
          <th>Runs out first</th>
          <th>Not satisfied</th>
        </tr>
      </thead>
      <tbody>
        {plan.services.map((s) => (
          <tr key={s.service} className={s.unmet.length > 0 ? 'regression' : undefined}>
            <td>{s.service}</td>
            <td className="num">{qps(s.requiredQps)}</td>
            <td className="num" title={`at its ${s.quantile} quantile`}>
              {s.capacityQps === null ? '–' : qps(s.capacityQps)}
            </td>
            <td>
              {s.capacityRange
                ? `${qps(s.capacityRange.low)}–${qps(s.capacityRange.high)} (${s.capacityRange.basis})`
                : '–'}
            </td>
            <td className="num">{s.machines ?? '–'}</td>
            <td className="num">{s.medianMachines ?? '–'}</td>
            <td className="num">
              {s.headroom === null ? '–' : `${(s.headroom * 100).toFixed(1)}%`}
            </td>
            <td>{s.bindingResource ?? '–'}</td>
            <td>{s.unmet.join('; ') || '–'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function PlanView({
  plan,
  model,
  forecast,
  onError,
}: {
  plan: Plan;
  model: CapacityModel;
  forecast: Forecast;
  onError: (error: ApiError) => void;
}) {
  return (
    <>
      <Headline plan={plan} />
      <PlanTable plan={plan} />
      {plan.unmet.length > 0 ? (
        <div role="alert" className="problem" data-testid="plan-unmet">
          <p>The plan cannot be met as it stands:</p>
          <ul>
            {plan.unmet.map((u) => (
              <li key={`${u.service}:${u.reason}`}>
                {u.service ? `${u.service}: ` : ''}
                {u.reason}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <fieldset className="toolbar">
        <legend className="skip">Export the plan</legend>
        {EXPORTS.map((format) => (
          <button
            key={format}
            type="button"
            onClick={() => download(model, forecast, format).catch((e) => onError(apiError(e)))}
          >
            Export {format.toUpperCase()}
          </button>
        ))}
      </fieldset>
    </>
  );
}

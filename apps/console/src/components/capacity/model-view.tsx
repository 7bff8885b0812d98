// A fitted model: each service's per-machine capacity with its curve over the measured
// points, and the fan-out ratios with their fit quality.
import { bindingText, type CapacityModel } from '@loadline/capacity';
import { UslChart } from '@/components/usl-chart';
import { capacityText, qps } from '@/lib/capacity-form';
import { when } from '@/lib/format';

export function ModelView({ model }: { model: CapacityModel }) {
  const kinds = model.fanout.entryKinds;
  return (
    <section aria-labelledby="fitted-heading" data-testid="capacity-model">
      <h2 id="fitted-heading">Per-machine capacity</h2>
      <p className="muted">
        From {model.provenance.source}, {when(model.provenance.createdAt)}. The usable capacity is
        the lowest of the SLO-limited load, the USL peak, the queueing knee for the cores and each
        saturation gauge's ceiling, named with what runs out first; a ramp that never breached its
        SLO gives a lower bound (&gt; X). The range is where the capacity lies: between the level
        that held and the one that broke, or a model limit's 95 % interval.
      </p>
      <table data-testid="capacity-services">
        <thead>
          <tr>
            <th>Service</th>
            <th className="num">QPS per machine</th>
            <th>Binds</th>
            <th>Range</th>
            <th className="num">Cores</th>
            <th className="num">Highest measured</th>
            <th>Warnings</th>
          </tr>
        </thead>
        <tbody>
          {model.services.map((s) => (
            <tr key={s.service}>
              <td>{s.service}</td>
              <td className="num">{capacityText(s.capacity)}</td>
              <td>{bindingText(s.capacity)}</td>
              <td>
                {s.capacity.range
                  ? `${qps(s.capacity.range.low)}–${qps(s.capacity.range.high)} (${s.capacity.range.basis === 'bracket' ? 'held–broke' : '95 % interval'})`
                  : '–'}
              </td>
              <td className="num">{s.cores}</td>
              <td className="num">{qps(s.capacity.maxMeasuredQps)}</td>
              <td>
                {[...s.capacity.unmet.map((u) => `unmet: ${u}`), ...s.capacity.warnings].join(
                  '; ',
                ) || '–'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="charts">
        {model.services
          .filter((s) => s.usl)
          .map((s) => (
            <UslChart
              key={s.service}
              service={s.service}
              curve={s.usl as NonNullable<typeof s.usl>}
              peakRange={s.capacity.limits.usl?.range}
            />
          ))}
      </div>
      <h2>Fan-out ratios</h2>
      <p className="muted">
        Calls to each service per entry request, by non-negative least squares over{' '}
        {model.fanout.seconds} seconds; a poor fit is refused, not used.
      </p>
      <table data-testid="capacity-ratios">
        <thead>
          <tr>
            <th>Service</th>
            {kinds.map((k) => (
              <th key={k} className="num">
                per {k}
              </th>
            ))}
            <th className="num">R²</th>
            <th>Fit</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(model.fanout.services).map(([service, f]) => (
            <tr key={service}>
              <td>{service}</td>
              {kinds.map((k) => (
                <td key={k} className="num">
                  {(f.ratios[k] ?? 0).toFixed(3)}
                </td>
              ))}
              <td className="num">{f.r2.toFixed(3)}</td>
              <td className={f.refused ? 'fail' : 'pass'}>
                {f.refused ? `refused: ${f.reason}` : 'used'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

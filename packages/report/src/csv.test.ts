import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { samplePlan } from '@loadline/capacity/testing';
import { planToCsv } from './csv.js';

/** A small RFC 4180 reader, so the test checks the CSV rather than trusting the writer. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

/** Section name → its rows as header-keyed records. */
function sections(rows: string[][]): Map<string, Record<string, string>[]> {
  const out = new Map<string, Record<string, string>[]>();
  for (let i = 0; i < rows.length; ) {
    const [name] = rows[i]!;
    const header = rows[i + 1]!;
    const body: Record<string, string>[] = [];
    for (i += 2; i < rows.length && !(rows[i]!.length === 1 && rows[i]![0] === ''); i++)
      body.push(Object.fromEntries(header.map((h, j) => [h, rows[i]![j]!])));
    out.set(name!, body);
    i++;
  }
  return out;
}

describe('planToCsv', () => {
  it('parses back to the plan’s numbers, every section present', async () => {
    const { model, plan } = await samplePlan();
    const parsed = sections(parseCsv(planToCsv(plan, model)));
    assert.deepEqual(
      [...parsed.keys()],
      ['Summary', 'Services', 'Ratios', 'What-ifs', 'Unmet', 'Measurements'],
    );
    assert.equal(Number(parsed.get('Summary')![0]!['Total machines']), plan.totalMachines);
    assert.equal(parsed.get('Summary')![0]!.Bottleneck, 'cart');
    for (const [i, s] of plan.services.entries()) {
      const row = parsed.get('Services')![i]!;
      assert.equal(row.Service, s.service);
      assert.equal(Number(row['Required QPS']), s.requiredQps);
      assert.equal(Number(row['Capacity QPS per machine']), s.capacityQps);
      assert.equal(Number(row.Machines), s.machines);
      assert.equal(Number(row.Headroom), s.headroom);
    }
    const cartOrder = parsed
      .get('Ratios')!
      .find((r) => r.Service === 'cart' && r['Entry kind'] === 'order')!;
    assert.equal(
      Number(cartOrder['Calls per entry request']),
      model.fanout.services.cart!.ratios.order,
    );
    assert.equal(parsed.get('Unmet')!.length, 0);
    assert.equal(parsed.get('Measurements')!.length, 13); // 7 cart + 6 payment ramp levels
  });

  it('quotes text with commas and quotes, leaves unknowns empty', async () => {
    const { model, plan } = await samplePlan();
    const broken = {
      ...plan,
      services: plan.services.map((s, i) =>
        i === 0 ? { ...s, machines: null, headroom: null, warnings: ['say "hi", twice'] } : s,
      ),
    };
    const row = sections(parseCsv(planToCsv(broken, model))).get('Services')![0]!;
    assert.equal(row.Machines, '');
    assert.equal(row.Headroom, '');
    assert.equal(row.Warnings, 'say "hi", twice');
  });
});

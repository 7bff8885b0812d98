import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { samplePlan } from '@loadline/capacity/testing';
import ExcelJS from 'exceljs';
import { planToXlsx } from './xlsx.js';

describe('planToXlsx', () => {
  it('has a sheet per section with numeric cells, number formats and a frozen styled header', async () => {
    const { model, plan } = await samplePlan();
    const buffer = await planToXlsx(plan, model);
    assert.equal(buffer.subarray(0, 2).toString(), 'PK');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
    assert.deepEqual(
      workbook.worksheets.map((w) => w.name),
      ['Summary', 'Services', 'Ratios', 'What-ifs', 'Unmet', 'Measurements'],
    );
    const services = workbook.getWorksheet('Services')!;
    assert.deepEqual(services.views[0], { ...services.views[0], state: 'frozen', ySplit: 1 });
    assert.equal(services.getRow(1).font?.bold, true);
    assert.equal(services.getCell('A1').value, 'Service');
    plan.services.forEach((s, i) => {
      const row = services.getRow(i + 2);
      assert.equal(row.getCell(1).value, s.service);
      assert.equal(typeof row.getCell(2).value, 'number');
      assert.equal(row.getCell(2).value, s.requiredQps);
      assert.equal(row.getCell(3).value, s.capacityQps);
      assert.equal(row.getCell(7).value, s.machines);
      assert.equal(row.getCell(8).value, s.headroom);
      assert.equal(row.getCell(8).numFmt, '0.0%');
      assert.equal(row.getCell(2).numFmt, '#,##0');
    });
    const summary = workbook.getWorksheet('Summary')!;
    assert.equal(summary.getCell('A2').value, 16);
    assert.equal(summary.getCell('C2').value, 'cart');
    assert.equal(workbook.getWorksheet('Measurements')!.rowCount, 14); // header, 7 cart + 6 payment ramp levels
    assert.equal(typeof workbook.getWorksheet('Ratios')!.getCell('C2').value, 'number');
  });
});

// Bytes on disk per interval row, read from a stopped control's embedded ClickHouse.
import { ResultStore } from '@loadline/store';
import { STATUS_CLASSES, STEPS, stepHistogram } from './fleet-histograms.mjs';

const PARTS_OF = (table) =>
  `SELECT sum(rows) AS rows, sum(bytes_on_disk) AS bytes, sum(data_uncompressed_bytes) AS raw FROM system.parts WHERE active AND database = currentDatabase() AND table = '${table}'`;

function perRow(parts) {
  const rows = Number(parts?.rows ?? 0);
  if (!rows) return null;
  return {
    rows,
    bytes: Number(parts.bytes),
    bytesPerRow: Number(parts.bytes) / rows,
    uncompressedPerRow: Number(parts.raw) / rows,
  };
}

/**
 * Bytes on disk per interval row, in the stopped control's embedded ClickHouse: for the
 * rows the simulation stored (its agents reuse a few histograms, which compress better than
 * real ones), and for rows whose histograms are all distinct, as real agents' are, written
 * into a copy of the table (same schema and codecs) and merged to one part.
 */
export async function diskPerRow(path, agentRps) {
  let store;
  try {
    store = await ResultStore.open({ mode: 'embedded', path });
    const [simulated] = await store.driver.query(PARTS_OF('intervals'));
    await store.driver.exec('CREATE TABLE intervals_disk_probe AS intervals');
    const agents = 50;
    const seconds = 20;
    const from = Math.floor(Date.now() / 1000) - seconds;
    const rows = [];
    for (let second = from; second < from + seconds; second++) {
      for (let agent = 0; agent < agents; agent++) {
        for (let step = 0; step < STEPS; step++) {
          for (const statusClass of STATUS_CLASSES) {
            const { requests, histogram } = stepHistogram(step, statusClass, agentRps);
            rows.push({
              run_id: 'disk-probe',
              agent_id: `fleet-sim-${agent}`,
              step: `s${step}`,
              status_class: statusClass,
              second,
              requests,
              errors: statusClass === '5xx' ? requests : 0,
              checks_failed: 0,
              late: 0,
              dropped: 0,
              histogram,
            });
          }
        }
      }
    }
    await store.driver.insertJSONEachRow('intervals_disk_probe', rows);
    await store.driver.exec('OPTIMIZE TABLE intervals_disk_probe FINAL');
    const [distinct] = await store.driver.query(PARTS_OF('intervals_disk_probe'));
    return { simulated: perRow(simulated), distinct: perRow(distinct) };
  } catch (error) {
    console.log(`  on disk: not measured (${error.message})`);
    return null;
  } finally {
    await store?.close();
  }
}

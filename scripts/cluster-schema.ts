// `npm run cluster-schema`: writes infra/clickhouse/cluster-schema.sql from the store's
// migrations (packages/store/src/cluster-schema-file.ts), parsed by embedded ClickHouse
// (chdb) in a scratch directory. packages/store/src/cluster-schema.int.test.ts fails while
// the committed file differs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChdbDriver } from '../packages/store/src/chdb-driver.js';
import {
  CLUSTER_SCHEMA_FILE,
  clusterSchemaFile,
} from '../packages/store/src/cluster-schema-file.js';

const scratch = mkdtempSync(join(tmpdir(), 'loadline-cluster-schema-'));
const driver = ChdbDriver.open(scratch);
try {
  writeFileSync(CLUSTER_SCHEMA_FILE, await clusterSchemaFile(driver));
  process.stdout.write(`${CLUSTER_SCHEMA_FILE}: written\n`);
} finally {
  await driver.close();
  rmSync(scratch, { recursive: true, force: true });
}

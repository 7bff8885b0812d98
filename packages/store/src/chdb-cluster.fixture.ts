// Test support: embedded chdb configured as one node of a one-shard cluster, so that
// Distributed tables over it really run (the shard is this process: is_local, no network).
// What chdb cannot do, measured with chdb 3.4 (ClickHouse 26.7): ON CLUSTER DDL ("Replicated
// DDL queries are disabled": no distributed DDL worker in clickhouse-local) and Replicated*
// tables ("Can't create replicated table without ZooKeeper"; with its in-memory
// `testkeeper` they are created read-only, an insert never returns, and more of them hung). Tests therefore run the
// cluster DDL with `onCluster: false`, and the store over plain *MergeTree locals.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The cluster's name in `<remote_servers>` and in the `{cluster}` macro. */
export const TEST_CLUSTER = 'loadline_test';

/** Writes the engine config into `dir`; returns chdb's connectionArgs that load it. */
export async function oneNodeCluster(dir: string): Promise<string[]> {
  const file = join(dir, 'cluster.xml');
  // tcp_port: a shard whose host and port are this server's is local (queried in-process);
  // nothing listens on it. The in-memory test keeper lets Replicated tables be created
  // (chdb leaves them read-only all the same).
  await writeFile(
    file,
    `<clickhouse>
  <tcp_port>9000</tcp_port>
  <remote_servers>
    <${TEST_CLUSTER}>
      <shard><replica><host>localhost</host><port>9000</port></replica></shard>
    </${TEST_CLUSTER}>
  </remote_servers>
  <macros><cluster>${TEST_CLUSTER}</cluster><shard>01</shard><replica>r1</replica></macros>
</clickhouse>
`,
  );
  return [`--config-file=${file}`];
}

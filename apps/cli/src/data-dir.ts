/**
 * Whether starting control failed because its embedded store could not be opened: chdb
 * locks its directory, so this is nearly always another `loadline up` or `loadline
 * control` on the same data directory (chdb prints the lock error itself; the error we get
 * only says the connection failed).
 */
export function dataDirInUse(error: unknown): boolean {
  // Control's own lock says so first (DataDirInUseError, by name: no import of control here).
  if ((error as Error)?.name === 'DataDirInUseError') return true;
  const cause = (error as { cause?: unknown })?.cause;
  const text = `${(error as Error)?.message ?? ''} ${cause === undefined ? '' : String(cause)}`;
  return /Another server instance in same directory|Cannot lock file|cannot open embedded ClickHouse/i.test(
    text,
  );
}

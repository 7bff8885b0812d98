// The defaults more than one process falls back to, declared once.

/** Where control's API listens and where the CLI and console look for it. */
export const DEFAULT_API_URL = 'http://127.0.0.1:7700';
export const DEFAULT_API_HOST = '127.0.0.1';
export const DEFAULT_API_PORT = 7700;
/** The Redis control and agents meet on (and `loadline up` starts when nothing answers). */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** The Redis key namespace control and agents share. */
export const DEFAULT_NAMESPACE = 'loadline';
/** Embedded state (PGlite, chdb, the shadow master secret), in the working directory. */
export const DEFAULT_DATA_DIR = '.loadline';

#!/usr/bin/env node
// Thin launcher so the bin entry exists before the first build (npm links bins at
// install time); the command itself lives in dist/.
import('../dist/main.js').catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/main.js')) {
    process.stderr.write('loadline is not built yet: run `npm run build` (or `npm start`) first\n');
    process.exit(4);
  }
  throw error;
});

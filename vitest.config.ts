import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

// Commands run by the tests (bin/run.js) record their runs under XDG_CONFIG_HOME: never in the
// developer's own ~/.config/populator.
const configHome = mkdtempSync(path.join(os.tmpdir(), 'populator-test-config-'));

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', XDG_CONFIG_HOME: configHome },
  },
});

/**
 * `npm run demo:emr`: `populator demo` with its submit sent to the EMR Serverless emulator and
 * moto's S3 server (test/support/demo-emr.ts), offline: the plan, the jar upload,
 * --create-application, the job run on executor JVMs followed to its end with its cost, then
 * verify. The repository's, not the package's: the emulator is test infrastructure. Takes the
 * demo's flags (`npm run demo:emr -- --events 600 --json`); needs Python 3 with moto[server].
 */
import { flush, handle } from '@oclif/core';
import Demo from '../src/commands/demo.js';
import type { DemoSubmit } from '../src/services/demo.js';
import { submitOnEmulators } from '../test/support/demo-emr.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

class EmrDemo extends Demo {
  protected override demoSubmit(): DemoSubmit {
    return submitOnEmulators;
  }
}

try {
  await EmrDemo.run(process.argv.slice(2), import.meta.url);
  await flush();
} catch (e) {
  await handle(e as Error);
}

/**
 * `npm run demo:import`: `populator demo` with the table created by `submit --import`, offline on
 * moto's server (test/support/demo-import.ts): the archive on its S3, the local job writing the
 * import files to the S3 staging through S3A, ImportTable creating the table in its DynamoDB
 * (followed to the end, TTL on), then the table checked against the archive and verify. The
 * repository's, not the package's: moto is test infrastructure. Takes the demo's flags
 * (`npm run demo:import -- --events 600 --json`); needs Python 3 with moto[server].
 */
import { flush, handle } from '@oclif/core';
import Demo from '../src/commands/demo.js';
import type { DemoSubmit, StartDemoDynamo } from '../src/services/demo.js';
import { importDemo } from '../test/support/demo-import.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

class ImportDemo extends Demo {
  private readonly flavour = importDemo();

  protected override demoSubmit(): DemoSubmit {
    return this.flavour.submitJob;
  }

  protected override demoDynamo(): StartDemoDynamo {
    return this.flavour.startDynamo;
  }
}

try {
  await ImportDemo.run(process.argv.slice(2), import.meta.url);
  await flush();
} catch (e) {
  await handle(e as Error);
}

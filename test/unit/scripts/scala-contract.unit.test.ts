import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderScalaContract, SCALA_CONTRACT_PATH } from '../../../scripts/scala-contract.js';
import * as contract from '../../../src/domain/contract.js';
import { JAVA17_SPARK_OPTIONS } from '../../../src/domain/java.js';

describe('the generated Scala contract', () => {
  it('is up to date with src/domain/contract.ts (run `npm run generate` when this fails)', () => {
    expect(readFileSync(SCALA_CONTRACT_PATH, 'utf8')).toBe(renderScalaContract());
  });

  it('carries the values the job relies on', () => {
    const scala = renderScalaContract();
    expect(scala).toContain('val EnrichedColumnCount: Int = 131');
    expect(scala).toContain('val EtlTstampIndex: Int = 2');
    expect(scala).toContain('val EventIdIndex: Int = 6');
    expect(scala).toContain('val EventFingerprintIndex: Int = 129');
    expect(scala).toContain('val DefaultTtlSeconds: Long = 15552000L');
    expect(scala).toContain(
      'val PutCondition: String = "(attribute_not_exists(eventId) AND attribute_not_exists(fingerprint)) OR etlTime = :tst"',
    );
    expect(scala).toContain('val ImportMaxObjects: Int = 50000');
    expect(scala).toContain('val ImportItemsPerObject: Int = 4000000');
    for (const arg of Object.values(contract.JOB_ARGS)) expect(scala).toContain(`"${arg}"`);
  });
});

describe('the JVM options for Spark on Java 17', () => {
  it('are the same in the pom (forked test JVMs) and in the local runner', () => {
    const pom = readFileSync('spark/pom.xml', 'utf8');
    const m = /<java17\.opens>([^<]+)<\/java17\.opens>/.exec(pom);
    expect(m?.[1]?.split(/\s+/)).toEqual([...JAVA17_SPARK_OPTIONS]);
  });
});

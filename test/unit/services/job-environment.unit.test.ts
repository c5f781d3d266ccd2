import { describe, expect, it } from 'vitest';
import { DEFAULT_TTL_SECONDS, JOB_ENV } from '../../../src/domain/contract.js';
import { staticCredentials } from '../../../src/domain/credentials.js';
import type { StorageConfig } from '../../../src/domain/storage-config.js';
import { jobEnvironment, ttlWarnings } from '../../../src/services/submit.js';

const base = {
  schemaVersion: '2-0-0',
  name: 'm',
  table: 'manifest',
  region: 'eu-west-1',
  purpose: 'EVENTS_MANIFEST',
} as const;
const withKeys: StorageConfig = { ...base, credentials: staticCredentials('AKIDEXAMPLE', 's3cr3t') };
const defaultChain: StorageConfig = {
  ...base,
  credentials: { kind: 'default-chain', reason: 'auth is null' },
};

describe('jobEnvironment (credentials for the job JVM, never its arguments)', () => {
  it("hands a storage config's static keys over for DynamoDB only, not as the standard variables S3A reads", () => {
    const env = jobEnvironment({ AWS_SESSION_TOKEN: 'tok' }, withKeys, 'eu-west-1', undefined);
    expect(env).toEqual({
      AWS_REGION: 'eu-west-1',
      SPARK_LOCAL_IP: '127.0.0.1',
      [JOB_ENV.dynamodbAccessKeyId]: 'AKIDEXAMPLE',
      [JOB_ENV.dynamodbSecretAccessKey]: 's3cr3t',
    });
    // The caller's own keys (inherited by the JVM) stay the S3 identity.
    expect(env.AWS_ACCESS_KEY_ID).toBeUndefined();
    expect(env.AWS_SECRET_ACCESS_KEY).toBeUndefined();
  });

  it("gives S3 the caller's chain with --profile even when the config has keys", () => {
    const env = jobEnvironment({ AWS_ACCESS_KEY_ID: 'AKIDCALLER' }, withKeys, 'eu-west-1', 'analytics');
    expect(env).toMatchObject({
      AWS_PROFILE: 'analytics',
      [JOB_ENV.dynamodbAccessKeyId]: 'AKIDEXAMPLE',
      // A profile wins over keys in the environment, as for the CLI's own clients (and the AWS CLI):
      // empty values are removed from the JVM's environment by the launcher.
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SESSION_TOKEN: '',
    });
  });

  it('leaves the default chain alone, passing --profile through', () => {
    expect(jobEnvironment({}, defaultChain, 'eu-west-1', 'analytics')).toEqual({
      AWS_REGION: 'eu-west-1',
      SPARK_LOCAL_IP: '127.0.0.1',
      AWS_PROFILE: 'analytics',
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SESSION_TOKEN: '',
    });
    expect(jobEnvironment({ AWS_PROFILE: 'dev' }, defaultChain, 'eu-west-1', undefined)).toMatchObject({
      AWS_PROFILE: 'dev',
    });
    expect(jobEnvironment({}, defaultChain, 'eu-west-1', undefined)).toEqual({
      AWS_REGION: 'eu-west-1',
      SPARK_LOCAL_IP: '127.0.0.1',
    });
  });
});

describe('ttlWarnings', () => {
  it("says nothing for the shredder's default", () => {
    expect(ttlWarnings(DEFAULT_TTL_SECONDS)).toEqual([]);
  });

  it('warns that another --ttl-seconds also rewrites the ttl of items already there', () => {
    const [w, ...rest] = ttlWarnings(86_400);
    expect(rest).toEqual([]);
    expect(w).toContain('--ttl-seconds 86400 (1 days)');
    expect(w).toContain("shredder's default 15552000 (180 days)");
    expect(w).toMatch(/already in the manifest with the same etlTime are rewritten/);
  });
});

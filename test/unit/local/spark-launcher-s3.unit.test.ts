import { describe, expect, it } from 'vitest';
import { staticCredentials } from '../../../src/domain/credentials.js';
import { classpathMavenArgs } from '../../../src/local/classpath.js';
import {
  buildJavaArgs,
  S3A_CREDENTIAL_PROVIDERS,
  s3HadoopProperties,
} from '../../../src/local/spark-launcher.js';
import { jobEnvironment } from '../../../src/services/submit.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';

const launch = {
  jar: '/x/populator-job.jar',
  classpath: ['/m2/spark-core.jar', '/m2/hadoop-aws-3.3.4.jar'],
  jobArgs: ['--archive', 's3://bucket/archive/', '--output', '/tmp/staging'],
  master: 'local[*]',
  driverMemory: '2g',
};

describe('S3 access for the local runner', () => {
  it('serves s3:// and s3a:// with S3A and a credentials chain read from the environment', () => {
    const props = s3HadoopProperties({ region: 'eu-west-1' });
    expect(props).toEqual({
      'fs.s3.impl': 'org.apache.hadoop.fs.s3a.S3AFileSystem',
      'fs.s3a.impl': 'org.apache.hadoop.fs.s3a.S3AFileSystem',
      'fs.s3a.aws.credentials.provider': S3A_CREDENTIAL_PROVIDERS.join(','),
    });
    expect(S3A_CREDENTIAL_PROVIDERS[0]).toBe('com.amazonaws.auth.EnvironmentVariableCredentialsProvider');
  });

  it('names AWS SDK v2 credential providers for Spark 4.0 (Hadoop 3.4 S3A has no com.amazonaws classes)', () => {
    const providers = s3HadoopProperties({ region: 'eu-west-1', family: '4.0' })[
      'fs.s3a.aws.credentials.provider'
    ];
    const names = (providers ?? '').split(',');
    expect(names[0]).toBe('software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider');
    expect(names).toContain('software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider');
    expect(names.every((n) => n.startsWith('software.amazon.awssdk.auth.credentials.'))).toBe(true);
    expect(
      s3HadoopProperties({ region: 'eu-west-1', family: '3.5' })['fs.s3a.aws.credentials.provider'],
    ).toBe(S3A_CREDENTIAL_PROVIDERS.join(','));
  });

  it('with an endpoint override: path-style, TLS per scheme, signing region', () => {
    expect(s3HadoopProperties({ region: 'us-east-1', endpoint: 'http://127.0.0.1:4566' })).toMatchObject({
      'fs.s3a.endpoint': 'http://127.0.0.1:4566',
      'fs.s3a.path.style.access': 'true',
      'fs.s3a.connection.ssl.enabled': 'false',
      'fs.s3a.endpoint.region': 'us-east-1',
    });
    expect(
      s3HadoopProperties({ region: 'eu-west-1', endpoint: 'https://s3.eu-west-1.amazonaws.com' })[
        'fs.s3a.connection.ssl.enabled'
      ],
    ).toBe('true');
  });

  it('passes them as -Dspark.hadoop.* properties, and only for an S3 archive', () => {
    const withS3 = buildJavaArgs(
      { ...launch, s3: { region: 'us-east-1', endpoint: 'http://127.0.0.1:4566' } },
      '/l',
    );
    expect(withS3).toContain('-Dspark.hadoop.fs.s3.impl=org.apache.hadoop.fs.s3a.S3AFileSystem');
    expect(withS3).toContain('-Dspark.hadoop.fs.s3a.endpoint=http://127.0.0.1:4566');
    // System properties go before the main class, or the JVM hands them to the job as arguments.
    const mainIdx = withS3.indexOf('com.snowplowanalytics.populator.Main');
    expect(withS3.findIndex((a) => a.startsWith('-Dspark.hadoop.'))).toBeLessThan(mainIdx);
    expect(buildJavaArgs(launch, '/l').some((a) => a.includes('spark.hadoop'))).toBe(false);
  });

  it('never puts a key or secret into the JVM arguments: they travel in the environment only', () => {
    const creds = staticCredentials(KEY_ID, SECRET);
    const env = jobEnvironment(
      { AWS_SESSION_TOKEN: 'lingering' },
      {
        schemaVersion: '2-0-0',
        name: 'm',
        table: 'manifest',
        region: 'us-east-1',
        purpose: 'EVENTS_MANIFEST',
        credentials: creds,
      },
      'us-east-1',
      undefined,
    );
    expect(Object.values(env)).toContain(SECRET);
    const args = buildJavaArgs(
      { ...launch, s3: { region: 'us-east-1', endpoint: 'http://127.0.0.1:4566' } },
      '/l',
    );
    const joined = args.join(' ');
    expect(joined).not.toContain(SECRET);
    expect(joined).not.toContain(KEY_ID);
    expect(joined).not.toMatch(/access\.key|secret\.key|session\.token/);
  });

  it('resolves the S3 classpath with -P local-s3 and the full dependency list, like the local one', () => {
    const s3 = classpathMavenArgs('/p/pom.xml', '/tmp/out', { s3: true });
    expect(s3).toEqual(expect.arrayContaining(['-P', 'local-s3', 'dependency:build-classpath']));
    expect(s3.some((a) => a.startsWith('-Dmdep.includeScope'))).toBe(false);
    const local = classpathMavenArgs('/p/pom.xml', '/tmp/out');
    expect(local).not.toContain('local-s3');
    expect(local.some((a) => a.startsWith('-Dmdep.includeScope'))).toBe(false);
  });

  it('resolves the Spark 4.0 S3 classpath with its own S3A profile, never local-s3', () => {
    const s3 = classpathMavenArgs('/p/pom.xml', '/tmp/out', { s3: true, family: '4.0' });
    expect(s3.join(' ')).toContain('-P spark-4.0 -P local-s3-spark-4.0 dependency:build-classpath');
    expect(s3).not.toContain('local-s3');
  });
});

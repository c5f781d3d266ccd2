import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseJavaMajorVersion } from '../../../src/domain/java.js';
import { UserError } from '../../../src/domain/errors.js';
import { jarIsStale, jobJarPath, readJobVersion } from '../../../src/local/jar.js';
import { findToolchain, locateJava, locateMaven } from '../../../src/local/toolchain.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'populator-unit-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('parseJavaMajorVersion', () => {
  it('reads modern and legacy version strings', () => {
    expect(parseJavaMajorVersion('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(parseJavaMajorVersion('openjdk version "25" 2025-09-16')).toBe(25);
    expect(parseJavaMajorVersion('java version "1.8.0_392"')).toBe(8);
    expect(parseJavaMajorVersion('nonsense')).toBeUndefined();
  });
});

describe('findToolchain', () => {
  it('says to install Java 17 when JAVA_HOME points nowhere', async () => {
    const err = await findToolchain(
      { PATH: process.env.PATH, JAVA_HOME: '/no/such/jdk' },
      { needMaven: false },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe('JAVA_NOT_FOUND');
    expect((err as UserError).hint).toMatch(/Java 17/);
  });

  it('refuses a Java other than 17, naming the one found', async () => {
    const home = tmp();
    mkdirSync(path.join(home, 'bin'));
    const fake = path.join(home, 'bin', 'java');
    writeFileSync(fake, '#!/bin/sh\necho \'openjdk version "11.0.2" 2019-01-15\' >&2\n', { mode: 0o755 });
    const err = await findToolchain({ PATH: process.env.PATH, JAVA_HOME: home }, { needMaven: false }).catch(
      (e: unknown) => e,
    );
    expect((err as UserError).code).toBe('JAVA_VERSION');
    expect((err as UserError).message).toContain('Java 11');
  });

  it('says to install Maven when it is not on PATH', async () => {
    const javaHome = process.env.JAVA_HOME ?? '/usr/lib/jvm/java-17-openjdk-amd64';
    const err = await findToolchain({ PATH: '/nonexistent', JAVA_HOME: javaHome }, { needMaven: true }).catch(
      (e: unknown) => e,
    );
    expect((err as UserError).code).toBe('MAVEN_NOT_FOUND');
    expect((err as UserError).hint).toMatch(/Maven/);
  });
});

describe('locateJava and locateMaven', () => {
  function fakeJdk(version: string | undefined, says = '17.0.2'): { home: string; marker: string } {
    const home = tmp();
    mkdirSync(path.join(home, 'bin'));
    const marker = path.join(home, 'started');
    writeFileSync(
      path.join(home, 'bin', 'java'),
      `#!/bin/sh\necho started > '${marker}'\necho 'openjdk version "${says}"' >&2\n`,
      { mode: 0o755 },
    );
    if (version !== undefined)
      writeFileSync(path.join(home, 'release'), `IMPLEMENTOR="x"\nJAVA_VERSION="${version}"\n`);
    return { home, marker };
  }

  it('reads the version from the JDK release file without starting Java', async () => {
    const jdk = fakeJdk('21.0.4');
    const r = await locateJava({ JAVA_HOME: jdk.home, PATH: '/nonexistent' });
    expect(r).toMatchObject({ ok: true, value: { major: 21, versionFrom: 'release file' } });
    expect(existsSync(jdk.marker)).toBe(false);
  });

  it('falls back to java -version for a JDK without a release file', async () => {
    const jdk = fakeJdk(undefined, '17.0.9');
    const r = await locateJava({ JAVA_HOME: jdk.home, PATH: '/nonexistent' });
    expect(r).toMatchObject({ ok: true, value: { major: 17, versionFrom: 'java -version' } });
  });

  it('refuses Java 11 and 25, and finds java on PATH through its symlinks', async () => {
    for (const v of ['11.0.2', '25']) {
      const r = await locateJava({ JAVA_HOME: fakeJdk(v).home });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('JAVA_VERSION');
    }
    const jdk = fakeJdk('17.0.15');
    const bin = tmp();
    const { symlinkSync } = await import('node:fs');
    symlinkSync(path.join(jdk.home, 'bin', 'java'), path.join(bin, 'java'));
    const r = await locateJava({ PATH: bin });
    expect(r).toMatchObject({ ok: true, value: { major: 17, versionFrom: 'release file' } });
  });

  it('finds mvn on PATH without running it', () => {
    const bin = tmp();
    const marker = path.join(bin, 'ran');
    writeFileSync(path.join(bin, 'mvn'), `#!/bin/sh\necho ran > '${marker}'\n`, { mode: 0o755 });
    expect(locateMaven({ PATH: `/nonexistent${path.delimiter}${bin}` })).toEqual({
      ok: true,
      value: path.join(bin, 'mvn'),
    });
    expect(existsSync(marker)).toBe(false);
    expect(locateMaven({ PATH: '/nonexistent' }).ok).toBe(false);
  });
});

describe('job jar staleness', () => {
  function sparkDir(): string {
    const d = tmp();
    mkdirSync(path.join(d, 'src', 'main', 'scala'), { recursive: true });
    mkdirSync(path.join(d, 'target'));
    writeFileSync(
      path.join(d, 'pom.xml'),
      '<project><artifactId>populator-job</artifactId>\n  <version>9.8.7</version></project>',
    );
    writeFileSync(path.join(d, 'src', 'main', 'scala', 'Job.scala'), 'object Job');
    return d;
  }

  it('reads the version from the pom', () => {
    const d = sparkDir();
    expect(readJobVersion(d)).toBe('9.8.7');
    expect(jobJarPath(d)).toBe(path.join(d, 'target', 'populator-job-9.8.7.jar'));
  });

  it('is stale when missing or older than a source, fresh otherwise', () => {
    const d = sparkDir();
    expect(jarIsStale(d)).toBe(true);
    const jar = jobJarPath(d);
    writeFileSync(jar, 'jar');
    const past = new Date(Date.now() - 60_000);
    for (const f of [path.join(d, 'pom.xml'), path.join(d, 'src', 'main', 'scala', 'Job.scala')])
      utimesSync(f, past, past);
    for (const dir of [
      path.join(d, 'src', 'main', 'scala'),
      path.join(d, 'src', 'main'),
      path.join(d, 'src'),
    ])
      utimesSync(dir, past, past);
    expect(jarIsStale(d)).toBe(false);
    writeFileSync(path.join(d, 'src', 'main', 'scala', 'Job.scala'), 'object Job2');
    expect(jarIsStale(d)).toBe(true);
  });
});

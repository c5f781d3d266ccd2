import { describe, expect, it } from 'vitest';
import {
  JOB_POM_ENTRY,
  JOB_PROPERTIES_ENTRY,
  parseJobPom,
  parseJobProperties,
  readJarBuildInfo,
  readZipEntry,
  type ReadAt,
} from '../../../src/domain/jar-info.js';
import { zip } from '../../helpers/zip.js';

function reader(buf: Buffer): { read: ReadAt; reads: number[] } {
  const reads: number[] = [];
  return {
    reads,
    read: (o, l) => {
      reads.push(l);
      return Promise.resolve(buf.subarray(o, o + l));
    },
  };
}

const POM = `<project>
  <groupId>com.snowplowanalytics</groupId>
  <artifactId>populator-job</artifactId>
  <version>0.1.0</version>
  <properties>
    <scala.binary.version>2.12</scala.binary.version>
    <spark.version>3.5.3</spark.version>
  </properties>
</project>`;

describe('readJarBuildInfo', () => {
  it("reads the job's version, Spark and Scala from the pom inside the jar", async () => {
    const jar = zip(
      [
        { name: 'META-INF/MANIFEST.MF', data: Buffer.from('Manifest-Version: 1.0\n'), deflate: false },
        { name: 'com/x/A.class', data: Buffer.alloc(5000, 7), deflate: true },
        { name: JOB_POM_ENTRY, data: Buffer.from(POM), deflate: true },
      ],
      'a comment',
    );
    const r = reader(jar);
    expect(await readJarBuildInfo(r.read, jar.length)).toEqual({
      version: '0.1.0',
      sparkVersion: '3.5.3',
      scalaBinaryVersion: '2.12',
    });
    // A few small reads, never the whole file.
    expect(r.reads.length).toBeLessThanOrEqual(4);
  });

  it('returns null for a zip without the pom, and reads stored entries', async () => {
    const jar = zip([{ name: 'a.txt', data: Buffer.from('hello'), deflate: false }]);
    expect(await readJarBuildInfo(reader(jar).read, jar.length)).toBeNull();
    expect((await readZipEntry(reader(jar).read, jar.length, 'a.txt'))?.toString()).toBe('hello');
  });

  it('prefers populator-job.properties to the pom, which names the default build whatever built the jar', async () => {
    // A `-P spark-4.0` jar: its pom is the pom as written (Spark 3.5), its properties the truth.
    const props = [
      '# What this job jar is built for',
      'version=0.1.0',
      'spark.family=4.0',
      'spark.version=4.0.2',
      'scala.version=2.13.16',
      'scala.binary.version=2.13',
    ].join('\n');
    const jar = zip([
      { name: JOB_POM_ENTRY, data: Buffer.from(POM), deflate: true },
      { name: 'com/x/A.class', data: Buffer.alloc(5000, 7), deflate: true },
      { name: JOB_PROPERTIES_ENTRY, data: Buffer.from(props), deflate: true },
    ]);
    const r = reader(jar);
    expect(await readJarBuildInfo(r.read, jar.length)).toEqual({
      version: '0.1.0',
      sparkVersion: '4.0.2',
      scalaBinaryVersion: '2.13',
    });
    expect(r.reads.length).toBeLessThanOrEqual(4);
  });

  it('falls back to the pom when the properties are unfilled (a build without resource filtering)', async () => {
    const props = 'version=${project.version}\nspark.version=${spark.version}\nscala.binary.version=2.12\n';
    const jar = zip([
      { name: JOB_PROPERTIES_ENTRY, data: Buffer.from(props), deflate: false },
      { name: JOB_POM_ENTRY, data: Buffer.from(POM), deflate: true },
    ]);
    expect(await readJarBuildInfo(reader(jar).read, jar.length)).toEqual({
      version: '0.1.0',
      sparkVersion: '3.5.3',
      scalaBinaryVersion: '2.12',
    });
  });

  it('throws on what is not a zip', async () => {
    const junk = Buffer.from('this is not a jar at all, just text');
    await expect(readJarBuildInfo(reader(junk).read, junk.length)).rejects.toThrow(/not a zip/);
  });
});

describe('parseJobProperties', () => {
  it('reads key=value lines, ignoring comments, blank lines and keys it does not know', () => {
    expect(
      parseJobProperties(
        '# c\r\n! c\r\n\r\nversion = 0.2.0\r\nspark.version:4.0.2\r\nscala.binary.version=2.13\r\nother=x\r\n',
      ),
    ).toEqual({ version: '0.2.0', sparkVersion: '4.0.2', scalaBinaryVersion: '2.13' });
  });

  it('is null when a field is missing, empty or a Maven placeholder', () => {
    expect(parseJobProperties('version=0.1.0\nspark.version=3.5.3\n')).toBeNull();
    expect(parseJobProperties('version=\nspark.version=3.5.3\nscala.binary.version=2.12')).toBeNull();
    expect(
      parseJobProperties('version=0.1.0\nspark.version=${spark.version}\nscala.binary.version=2.12'),
    ).toBeNull();
  });
});

describe('parseJobPom', () => {
  it('is null for another project', () => {
    expect(parseJobPom(POM.replace('populator-job', 'other'))).toBeNull();
  });
});

/**
 * What a job jar was built for (its version, Spark and Scala), read from the
 * `populator-job.properties` the build fills in, or (jars built before it existed) from the Maven
 * pom the build puts inside it. A jar is a zip: reading its central directory and one entry takes a
 * few small reads, so the same code reads a local file and an `s3://` jar through ranged GETs.
 */
import { inflateRawSync } from 'node:zlib';
import type { JarBuildInfo } from './emr.js';

/** Reads `length` bytes at `offset` (fewer only at the end of the file). */
export type ReadAt = (offset: number, length: number) => Promise<Uint8Array>;

/** Where Maven puts the project's pom in the jar. */
export const JOB_POM_ENTRY = 'META-INF/maven/com.snowplowanalytics/populator-job/pom.xml';

/**
 * The build's own record of what it was built for (spark/src/main/resources, filtered by Maven). The
 * pom in the jar is the pom as written: a `-P spark-4.0` jar's pom still names Spark 3.5.
 */
export const JOB_PROPERTIES_ENTRY = 'populator-job.properties';

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_MIN = 22;
const MAX_COMMENT = 0xffff;

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

interface ZipEntryRef {
  method: number;
  compressedSize: number;
  localOffset: number;
}

/**
 * The first of `names` (in that order of preference) that the zip of `size` bytes holds, with its
 * bytes, or null when it holds none of them. The central directory is read once, whatever the number
 * of names. Throws when the file is not a zip (or uses what a jar never does: ZIP64, encryption).
 */
export async function readFirstZipEntry(
  read: ReadAt,
  size: number,
  names: readonly string[],
): Promise<{ name: string; data: Buffer } | null> {
  const tailLength = Math.min(size, EOCD_MIN + MAX_COMMENT);
  const tail = await read(size - tailLength, tailLength);
  const tv = view(tail);
  let eocd = -1;
  for (let i = tail.length - EOCD_MIN; i >= 0; i--) {
    if (tv.getUint32(i, true) === EOCD_SIGNATURE) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory)');
  const entries = tv.getUint16(eocd + 10, true);
  const cdSize = tv.getUint32(eocd + 12, true);
  const cdOffset = tv.getUint32(eocd + 16, true);
  if (cdOffset === 0xffffffff || entries === 0xffff) throw new Error('ZIP64 jars are not supported');
  const cd = await read(cdOffset, cdSize);
  const cv = view(cd);
  const wanted = names.map((n) => Buffer.from(n, 'utf8'));
  const found = new Map<number, ZipEntryRef>();
  let p = 0;
  for (let n = 0; n < entries && p + 46 <= cd.length; n++) {
    if (cv.getUint32(p, true) !== CENTRAL_SIGNATURE) throw new Error('corrupt zip central directory');
    const nameLength = cv.getUint16(p + 28, true);
    const extraLength = cv.getUint16(p + 30, true);
    const commentLength = cv.getUint16(p + 32, true);
    const entryName = cd.subarray(p + 46, p + 46 + nameLength);
    const i = wanted.findIndex((w) => Buffer.compare(entryName, w) === 0);
    if (i >= 0 && !found.has(i)) {
      found.set(i, {
        method: cv.getUint16(p + 10, true),
        compressedSize: cv.getUint32(p + 20, true),
        localOffset: cv.getUint32(p + 42, true),
      });
      if (i === 0) break; // the preferred name: nothing later can beat it
    }
    p += 46 + nameLength + extraLength + commentLength;
  }
  const best = [...found.keys()].sort((a, b) => a - b)[0];
  if (best === undefined) return null;
  const name = names[best] ?? '';
  const ref = found.get(best) as ZipEntryRef;
  const header = await read(ref.localOffset, 30);
  const hv = view(header);
  if (hv.getUint32(0, true) !== LOCAL_SIGNATURE) throw new Error('corrupt zip local header');
  const dataStart = ref.localOffset + 30 + hv.getUint16(26, true) + hv.getUint16(28, true);
  const data = Buffer.from(await read(dataStart, ref.compressedSize));
  if (ref.method === 0) return { name, data };
  if (ref.method === 8) return { name, data: inflateRawSync(data) };
  throw new Error(`zip entry ${name} uses compression method ${ref.method}`);
}

/**
 * The bytes of entry `name` of the zip of `size` bytes, or null when there is no such entry.
 * Throws when the file is not a zip (or uses what a jar never does: ZIP64, encryption).
 */
export async function readZipEntry(read: ReadAt, size: number, name: string): Promise<Buffer | null> {
  return (await readFirstZipEntry(read, size, [name]))?.data ?? null;
}

function tag(xml: string, name: string): string | undefined {
  const escaped = name.replace(/\./g, '\\.');
  return new RegExp(`<${escaped}>\\s*([^<\\s]+)\\s*</${escaped}>`).exec(xml)?.[1];
}

/** The job's version and its Spark and Scala versions from its pom, or null when it is not the job's pom. */
export function parseJobPom(xml: string): JarBuildInfo | null {
  const version = /<artifactId>populator-job<\/artifactId>\s*<version>([^<]+)<\/version>/.exec(xml)?.[1];
  const sparkVersion = tag(xml, 'spark.version');
  const scalaBinaryVersion = tag(xml, 'scala.binary.version');
  if (version === undefined || sparkVersion === undefined || scalaBinaryVersion === undefined) return null;
  return { version: version.trim(), sparkVersion, scalaBinaryVersion };
}

/**
 * The job's version and its Spark and Scala versions from its `populator-job.properties`, or null when
 * one is missing (or still a Maven placeholder). Keys it does not know are ignored.
 */
export function parseJobProperties(text: string): JarBuildInfo | null {
  const props = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) props.set(m[1], m[2].trim());
  }
  const value = (key: string): string | undefined => {
    const v = props.get(key);
    return v === undefined || v === '' || v.includes('${') ? undefined : v;
  };
  const version = value('version');
  const sparkVersion = value('spark.version');
  const scalaBinaryVersion = value('scala.binary.version');
  if (version === undefined || sparkVersion === undefined || scalaBinaryVersion === undefined) return null;
  return { version, sparkVersion, scalaBinaryVersion };
}

/**
 * The build info of a job jar: its `populator-job.properties`, else its pom (jars built before the
 * properties existed); null when the zip holds neither (not our jar).
 */
export async function readJarBuildInfo(read: ReadAt, size: number): Promise<JarBuildInfo | null> {
  const entry = await readFirstZipEntry(read, size, [JOB_PROPERTIES_ENTRY, JOB_POM_ENTRY]);
  if (entry === null) return null;
  const text = entry.data.toString('utf8');
  if (entry.name === JOB_POM_ENTRY) return parseJobPom(text);
  // A properties file that says nothing usable: the pom is the next best witness.
  const fromProps = parseJobProperties(text);
  if (fromProps !== null) return fromProps;
  const pom = await readZipEntry(read, size, JOB_POM_ENTRY);
  return pom === null ? null : parseJobPom(pom.toString('utf8'));
}

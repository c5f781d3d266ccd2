/**
 * The two Spark families the job is built for, and which one an EMR release label, a jar or a Spark
 * distribution belongs to. One source tree, two jars (spark/pom.xml: the default build and the
 * `spark-4.0` profile); everything that differs between them on the CLI's side is in this table.
 * Pure.
 */

/** What a job jar was built for, read from the `populator-job.properties` (or the pom) inside it. */
export interface JarBuildInfo {
  version: string;
  sparkVersion: string;
  scalaBinaryVersion: string;
}

export const SPARK_FAMILIES = ['3.5', '4.0'] as const;
export type SparkFamily = (typeof SPARK_FAMILIES)[number];

/** `--spark`'s default, and the family of an application-less local run. */
export const DEFAULT_SPARK_FAMILY: SparkFamily = '3.5';

export interface SparkFamilyFacts {
  family: SparkFamily;
  /** The Spark the jar is compiled against (spark/pom.xml; a unit test keeps them in step). */
  sparkVersion: string;
  scalaBinaryVersion: '2.12' | '2.13';
  /** The EMR releases that run it, as users write them. */
  releases: string;
  /** What `--create-application` uses for this family when no `--release-label` is given. */
  defaultReleaseLabel: string;
  /** The Maven profile that builds it (none: the default build). */
  mavenProfile: string | undefined;
  /** Where its build writes, relative to spark/ (the profile's own folder: 2.12 and 2.13 classes never mix). */
  buildDir: string;
  /** What the jar's file name adds after `populator-job-<version>`. */
  jarSuffix: string;
  /** PyPI's `pyspark` release that is a stock distribution of this family (for SPARK_HOME hints). */
  pysparkVersion: string;
  /** The Maven profile that adds S3A (hadoop-aws and its AWS SDK) to the local classpath, for S3 on local Spark. */
  s3aProfile: string;
  /** What that profile resolves, for messages. */
  s3aArtifacts: string;
  /**
   * S3A's credential providers, in order: the environment (where the CLI puts static keys), the profile
   * (`AWS_PROFILE`), web identity, then container / instance roles. All read the process environment or
   * the instance, never the Hadoop configuration, so no key travels as a property. Hadoop 3.3 (Spark 3.5)
   * takes AWS SDK v1 providers; Hadoop 3.4 (Spark 4.0) is built on the SDK v2, where those classes do not exist.
   */
  s3aCredentialProviders: readonly string[];
}

export const SPARK_FAMILY: Readonly<Record<SparkFamily, SparkFamilyFacts>> = {
  '3.5': {
    family: '3.5',
    sparkVersion: '3.5.3',
    scalaBinaryVersion: '2.12',
    releases: 'emr-7.x',
    defaultReleaseLabel: 'emr-7.13.0',
    mavenProfile: undefined,
    buildDir: 'target',
    jarSuffix: '',
    pysparkVersion: '3.5.5',
    s3aProfile: 'local-s3',
    s3aArtifacts: 'org.apache.hadoop:hadoop-aws:3.3.4 and com.amazonaws:aws-java-sdk-bundle:1.12.262',
    s3aCredentialProviders: [
      'com.amazonaws.auth.EnvironmentVariableCredentialsProvider',
      'com.amazonaws.auth.profile.ProfileCredentialsProvider',
      'com.amazonaws.auth.WebIdentityTokenCredentialsProvider',
      'com.amazonaws.auth.EC2ContainerCredentialsProviderWrapper',
    ],
  },
  '4.0': {
    family: '4.0',
    sparkVersion: '4.0.2',
    scalaBinaryVersion: '2.13',
    releases: 'emr-spark-8.x',
    defaultReleaseLabel: 'emr-spark-8.0.0',
    mavenProfile: 'spark-4.0',
    buildDir: 'target/spark-4.0',
    jarSuffix: '-spark-4.0',
    pysparkVersion: '4.0.2',
    s3aProfile: 'local-s3-spark-4.0',
    s3aArtifacts:
      "org.apache.hadoop:hadoop-aws:3.4.1 and the AWS SDK v2 s3, s3-transfer-manager, sts and apache-client (the job's SDK version)",
    s3aCredentialProviders: [
      'software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider',
      'software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider',
      'software.amazon.awssdk.auth.credentials.WebIdentityTokenFileCredentialsProvider',
      'software.amazon.awssdk.auth.credentials.ContainerCredentialsProvider',
      'software.amazon.awssdk.auth.credentials.InstanceProfileCredentialsProvider',
    ],
  },
};

/** "Spark 4.0 / Scala 2.13 (emr-spark-8.x)" */
export function describeFamily(family: SparkFamily): string {
  const f = SPARK_FAMILY[family];
  return `Spark ${f.family} / Scala ${f.scalaBinaryVersion} (${f.releases})`;
}

export function isSparkFamily(value: string): value is SparkFamily {
  return (SPARK_FAMILIES as readonly string[]).includes(value);
}

/**
 * The family an EMR release runs: emr-7.x is Spark 3.5 / Scala 2.12 / Java 17, emr-spark-8.x is
 * Spark 4.0 / Scala 2.13 / Java 17. Undefined for any other label (emr-6.x and older run Spark 3.0-3.4
 * on Java 8 or 11; a later family is not known yet).
 */
export function familyOfRelease(label: string): SparkFamily | undefined {
  if (/^emr-7\.\d+\.\d+$/.test(label)) return '3.5';
  if (/^emr-spark-8\.\d+\.\d+$/.test(label)) return '4.0';
  return undefined;
}

/** The family a jar was built for (its Spark minor and Scala binary version), or undefined for neither. */
export function familyOfJar(info: JarBuildInfo): SparkFamily | undefined {
  return SPARK_FAMILIES.find(
    (f) =>
      info.sparkVersion.startsWith(`${f}.`) && info.scalaBinaryVersion === SPARK_FAMILY[f].scalaBinaryVersion,
  );
}

/** The family of a Spark distribution from its spark-core jar's name (`spark-core_2.13-4.0.1.jar`). */
export function familyOfSparkCore(jarName: string): SparkFamily | undefined {
  const m = /^spark-core_(2\.1[23])-(\d+\.\d+)\.\d+.*\.jar$/.exec(jarName);
  if (m === null) return undefined;
  return SPARK_FAMILIES.find((f) => m[2] === f && m[1] === SPARK_FAMILY[f].scalaBinaryVersion);
}

const RELEASE_HINT = `Use an application with an emr-7.x release (Spark 3.5, e.g. ${SPARK_FAMILY['3.5'].defaultReleaseLabel}) or an emr-spark-8.x one (Spark 4.0, e.g. ${SPARK_FAMILY['4.0'].defaultReleaseLabel}).`;

/**
 * Why an application of `label` cannot run the job, or null when it can. With `jar` (a `--jar` that
 * was read), the jar must also be the release's family: a jar compiled for one does not link on the
 * other (Scala 2.12 and 2.13 are not binary compatible).
 */
export function releaseProblem(
  label: string,
  jar?: { family: SparkFamily | undefined; built: string },
): { message: string; hint: string } | null {
  const family = familyOfRelease(label);
  if (family === undefined) {
    const m = /^emr-(\d+)\.\d+\.\d+$/.exec(label);
    const major = m === null ? undefined : Number(m[1]);
    const message =
      major !== undefined && major < 7
        ? `${label} runs Spark ${major === 6 ? '3.0-3.4' : '2.x'} on Java 8 or 11; the job needs Spark 3.5 or 4.0 on Java 17`
        : `${label} is not an EMR release populator knows: the job runs on emr-7.x (Spark 3.5) and emr-spark-8.x (Spark 4.0)`;
    return { message, hint: RELEASE_HINT };
  }
  if (jar !== undefined && jar.family !== family) {
    return {
      message: `the job jar is built for ${jar.built}, but ${label} runs ${describeFamily(family)}`,
      hint: `Leave out --jar (populator picks the Spark ${family} jar for this application), or give the jar built for Spark ${family}${SPARK_FAMILY[family].mavenProfile === undefined ? '' : ` (\`mvn -P ${SPARK_FAMILY[family].mavenProfile} package\`)`}.`,
    };
  }
  return null;
}

/**
 * The release label `--create-application` uses: `--release-label` when given, else the newest
 * release of the family asked for (`--spark`, or a `--jar`'s own), else of the default family.
 */
export function releaseLabelToCreate(given: string | undefined, family: SparkFamily | undefined): string {
  return given ?? SPARK_FAMILY[family ?? DEFAULT_SPARK_FAMILY].defaultReleaseLabel;
}

package com.snowplowanalytics.populator

import java.net.URI

import scala.util.Try

import com.snowplowanalytics.populator.generated.Contract

/** How `etlTime` is chosen (DESIGN 3.2). */
sealed abstract class EtlTimeMode(val name: String) extends Product with Serializable

object EtlTimeMode {
  /** The earliest etl_tstamp of the run folder, for every event of the run (RDB Shredder R33+). */
  case object Run extends EtlTimeMode("run")

  /** Each event's own etl_tstamp (original populator, shredders <= R32). */
  case object Event extends EtlTimeMode("event")

  val all: List[EtlTimeMode] = List(Run, Event)
  require(all.map(_.name) == Contract.EtlTimeModes, "EtlTimeMode drifted from Contract.EtlTimeModes")

  def parse(s: String): Option[EtlTimeMode] = all.find(_.name == s)
}

/** The job's validated arguments. */
final case class JobConfig(
  archive: String,
  output: String,
  table: String,
  region: String,
  dynamodbEndpoint: Option[URI],
  since: Option[String],
  until: Option[String],
  etlTimeMode: EtlTimeMode,
  ttlSeconds: Long,
  writeRate: Int,
  maxInFlight: Int,
  skipExpired: Boolean,
  now: Option[Long],
  resumeFrom: Option[String] = None,
  skipPresent: Boolean = false,
  /** Import mode: the folder the import files go to (plain path or s3 URI, as [[JobConfig.plainPath]] gives it); None: puts. */
  importTo: Option[String] = None,
  /** Items per import object (not a job argument: tests set it low to exercise the object rules). */
  importItemsPerObject: Int = Contract.ImportItemsPerObject
)

object JobConfig {
  import Contract.Args

  val usage: String =
    s"""usage: ${Contract.JobMainClass}
       |  ${Args.archive} URI            enriched archive (local path, file://, s3://, s3a://)   required
       |  ${Args.output} URI             staging prefix for summary, progress and bad rows       required
       |  ${Args.table} NAME             DynamoDB manifest table                                  required
       |  ${Args.region} REGION          AWS region of the table                                  required
       |  ${Args.dynamodbEndpoint} URL   DynamoDB endpoint (default: AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL / AWS)
       |  ${Args.since} RUNID            first run to read, inclusive (yyyy-MM-dd or ${Contract.RunIdFormat}, UTC)
       |  ${Args.until} RUNID            first run not to read, exclusive (same formats)
       |  ${Args.etlTime} ${Contract.EtlTimeModes.mkString("|")}       etlTime source (default ${Contract.DefaultEtlTimeMode})
       |  ${Args.ttlSeconds} N           ttl = etlTime + N (default ${Contract.DefaultTtlSeconds})
       |  ${Args.writeRate} N            total write budget in WCU/s (the CLI derives it from the table)  required, except with ${Args.importTo}
       |  ${Args.maxInFlight} N          puts in flight per task to start with; grows while the budget allows (default ${Contract.DefaultMaxInFlightPerTask})
       |  ${Args.skipExpired} true|false skip items whose ttl is already past (default false)
       |  ${Args.now} EPOCH_SECONDS      "now" for expiry (default: current time; on a resume, the resumed run's)
       |  ${Args.resumeFrom} URI         an earlier run's output folder: send only what its progress records do not show written
       |  ${Args.skipPresent} true|false look keys up first (BatchGetItem, eventually consistent) and put only the missing ones (default false)
       |  ${Args.importTo} URI           import mode: write the items as gzip DYNAMODB_JSON files into this folder (s3://, s3a:// or local, ending in '/')
       |                          for DynamoDB's ImportTable instead of putting them; the table is not described (it does not exist yet);
       |                          not with ${Args.resumeFrom} or ${Args.skipPresent} true""".stripMargin

  private val known: Set[String] = Set(
    Args.archive, Args.output, Args.table, Args.region, Args.dynamodbEndpoint, Args.since, Args.until, Args.etlTime,
    Args.ttlSeconds, Args.writeRate, Args.maxInFlight, Args.skipExpired, Args.now, Args.resumeFrom,
    Args.skipPresent, Args.importTo
  )

  /** Parses `--name value` pairs; Left is a usage error naming the offending argument. */
  /**
   * Parses the job's arguments. Without `--dynamodb-endpoint`, the endpoint variables of the
   * driver's environment (`env`) are read here, once, and shipped to the executors with the write
   * settings: executors on a cluster do not share the driver's environment (EMR Serverless sets
   * driverEnv on the driver only), and the SDK there would otherwise write to AWS's own endpoint
   * while the driver described the table at another.
   */
  def parse(args: Seq[String], env: String => Option[String] = sys.env.get): Either[String, JobConfig] =
    for {
      m <- pairs(args.toList, Map.empty)
      archive <- required(m, Args.archive)
      output <- required(m, Args.output)
      table <- required(m, Args.table)
      _ <- if (table.length >= 3 && table.length <= 255 && table.matches("[a-zA-Z0-9_.-]+")) Right(())
           else Left(s"${Args.table}: '$table' is not a valid DynamoDB table name (3-255 of a-z A-Z 0-9 _ - .)")
      region <- required(m, Args.region)
      given <- optional(m, Args.dynamodbEndpoint)(endpointUri)
      endpoint <- given.fold(endpointFromEnv(env))(e => Right(Some(e)))
      since <- optional(m, Args.since)(RunSelection.parseBound)
      until <- optional(m, Args.until)(RunSelection.parseBound)
      _ <- (since, until) match {
        case (Some(s), Some(u)) if u <= s => Left(s"${Args.until} ($u) must be after ${Args.since} ($s)")
        case _                            => Right(())
      }
      mode <- optional(m, Args.etlTime)(s =>
        EtlTimeMode.parse(s).toRight(s"must be one of ${Contract.EtlTimeModes.mkString(", ")}, not '$s'"))
      ttl <- optional(m, Args.ttlSeconds)(positiveLong)
      importTo <- optional(m, Args.importTo)(importFolder)
      // Required for puts: the one default (a share of the table's capacity) is the CLI's, src/domain/write-rate.ts.
      // An import writes nothing to a table: 0 when not given.
      rate <- m.get(Args.writeRate) match {
                case None if importTo.isDefined => Right(0)
                case None => Left(s"missing required argument ${Args.writeRate} (the total write budget in WCU/s; populator derives it from the table)")
                case Some(s) => positiveLong(s).filterOrElse(_ <= Int.MaxValue, "too large").map(_.toInt).left.map(e => s"${Args.writeRate}: $e")
              }
      inFlight <- optional(m, Args.maxInFlight)(s => positiveLong(s).filterOrElse(_ <= 10000, "at most 10000").map(_.toInt))
      skip <- optional(m, Args.skipExpired)(boolean)
      skipPresent <- optional(m, Args.skipPresent)(boolean)
      now <- optional(m, Args.now)(s => Try(s.toLong).toOption.filter(_ >= 0).toRight(s"'$s' is not epoch seconds"))
      resumeFrom <- optional(m, Args.resumeFrom)(s => if (s.trim.nonEmpty) Right(plainPath(s)) else Left("must name a run folder"))
      _ <- importTo.fold[Either[String, Unit]](Right(()))(importRefusals(_, plainPath(archive), plainPath(output), resumeFrom, skipPresent.getOrElse(false)))
    } yield JobConfig(
      archive = plainPath(archive),
      output = plainPath(output),
      table = table,
      region = region,
      dynamodbEndpoint = endpoint,
      since = since,
      until = until,
      etlTimeMode = mode.getOrElse(EtlTimeMode.parse(Contract.DefaultEtlTimeMode).get),
      ttlSeconds = ttl.getOrElse(Contract.DefaultTtlSeconds),
      writeRate = rate,
      maxInFlight = inFlight.getOrElse(Contract.DefaultMaxInFlightPerTask),
      skipExpired = skip.getOrElse(false),
      now = now,
      resumeFrom = resumeFrom,
      skipPresent = skipPresent.getOrElse(false),
      importTo = importTo
    )

  /** `--import-to`: an s3://, s3a:// or local folder, written with its trailing '/', not a bucket or file system root. */
  private def importFolder(s: String): Either[String, String] = {
    val plain = plainPath(s.trim)
    val scheme = Try(new URI(plain)).toOption.flatMap(u => Option(u.getScheme)).map(_.toLowerCase)
    if (!plain.endsWith("/")) Left(s"'$s' must be a folder, written with a trailing '/'")
    else if (!scheme.forall(Set("s3", "s3a"))) Left(s"'$s' must be an s3://, s3a:// or local folder")
    else if (new org.apache.hadoop.fs.Path(plain).isRoot) Left(s"'$s' is a bucket or file system root: name a folder inside it (ImportTable reads every object under the folder)")
    else Right(plain)
  }

  /**
   * A folder as a comparable key: `s3://bucket/a/b` for s3:// and s3a:// (the same objects), an
   * absolute normalized path for a local one; no trailing '/'.
   */
  private[populator] def folderKey(plain: String): String = {
    val uri = Try(new URI(plain)).toOption.filter(u => u.getScheme != null && u.getScheme.toLowerCase.startsWith("s3"))
    uri match {
      case Some(u) => s"s3://${u.getAuthority}${Option(u.getPath).getOrElse("")}".stripSuffix("/")
      case None    => java.nio.file.Paths.get(plain).toAbsolutePath.normalize.toString.stripSuffix("/")
    }
  }

  /** `a` is `b` or a folder above it. */
  private def covers(a: String, b: String): Boolean = b == a || b.startsWith(a + "/")

  /**
   * What import mode cannot be combined with: a resume (an import run is never resumed by sending
   * what is missing: the CLI re-imports the files of a run whose job succeeded), --skip-present (the
   * import creates the table: nothing to look up), and a folder holding the job's output or archive
   * (the folder is emptied of earlier import files, and ImportTable reads every object in it).
   */
  private def importRefusals(folder: String, archive: String, output: String, resumeFrom: Option[String], skipPresent: Boolean): Either[String, Unit] =
    if (resumeFrom.isDefined)
      Left(s"${Args.resumeFrom} cannot be used with ${Args.importTo}: an import run is not resumed key by key; re-import the files of a run whose job succeeded, or start a new run")
    else if (skipPresent)
      Left(s"${Args.skipPresent} true cannot be used with ${Args.importTo}: the import creates the table, there is nothing to look up")
    else if (covers(folderKey(folder), folderKey(output)))
      Left(s"${Args.importTo} $folder holds the job's ${Args.output} $output: ImportTable would read the job's report too; use a folder of its own, e.g. ${output.stripSuffix("/")}/import/")
    else if (covers(folderKey(folder), folderKey(archive)))
      Left(s"${Args.importTo} $folder holds the archive $archive: use a folder of its own")
    else Right(())

  private def boolean(s: String): Either[String, Boolean] = s match {
    case "true"  => Right(true)
    case "false" => Right(false)
    case other   => Left(s"must be true or false, not '$other'")
  }

  @annotation.tailrec
  private def pairs(rest: List[String], acc: Map[String, String]): Either[String, Map[String, String]] = rest match {
    case Nil                                  => Right(acc)
    case name :: _ if !known.contains(name)   => Left(s"unknown argument '$name'")
    case name :: _ if acc.contains(name)      => Left(s"$name given twice")
    case name :: Nil                          => Left(s"$name needs a value")
    case name :: value :: _ if known(value)   => Left(s"$name needs a value (got $value)")
    case name :: value :: tail                => pairs(tail, acc.updated(name, value))
  }

  private def required(m: Map[String, String], name: String): Either[String, String] =
    m.get(name).filter(_.trim.nonEmpty).toRight(s"missing required argument $name")

  private def optional[A](m: Map[String, String], name: String)(f: String => Either[String, A]): Either[String, Option[A]] =
    m.get(name) match {
      case None    => Right(None)
      case Some(v) => f(v).left.map(e => s"$name: $e").map(Some(_))
    }

  /**
   * A `file:` URI as the plain path it names (`file:///data/a%20b` -> `/data/a b`): Hadoop's
   * `new Path(String)` does not decode percent-escapes and would look for a folder literally called
   * `a%20b`. Plain paths and other schemes (s3://) are kept as written.
   */
  def plainPath(s: String): String =
    if (!s.regionMatches(true, 0, "file:", 0, 5)) s
    else
      Try(new URI(s)).toOption
        .filter(u => !u.isOpaque && u.getPath != null && u.getPath.nonEmpty && (u.getAuthority == null || u.getAuthority == "localhost"))
        .fold(s)(_.getPath)

  private def positiveLong(s: String): Either[String, Long] =
    Try(s.toLong).toOption.filter(_ > 0).toRight(s"'$s' is not a positive integer")

  /** The SDK's own endpoint variables, in its order; an unusable value names its variable. */
  private def endpointFromEnv(env: String => Option[String]): Either[String, Option[URI]] =
    Seq("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL").iterator
      .map(v => v -> env(v).map(_.trim).filter(_.nonEmpty))
      .collectFirst { case (v, Some(url)) => endpointUri(url).map(Some(_)).left.map(e => s"$v: $e") }
      .getOrElse(Right(None))

  private def endpointUri(s: String): Either[String, URI] =
    Try(new URI(s)).toOption
      .filter(u => (u.getScheme == "http" || u.getScheme == "https") && u.getHost != null)
      .toRight(s"'$s' is not an http(s) URL")
}

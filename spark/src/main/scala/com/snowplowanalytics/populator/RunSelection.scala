package com.snowplowanalytics.populator

import java.time.LocalDateTime
import java.time.format.{DateTimeFormatter, ResolverStyle}

import scala.util.Try

import com.snowplowanalytics.populator.generated.Contract

/** Run ids (`yyyy-MM-dd-HH-mm-ss`, UTC) and the `--since` / `--until` window. Pure. */
object RunSelection {

  // 'uuuu' + STRICT rejects impossible dates such as 2017-02-30 instead of clamping them.
  private val RunIdFormatter: DateTimeFormatter =
    DateTimeFormatter.ofPattern(Contract.RunIdFormat.replace("yyyy", "uuuu")).withResolverStyle(ResolverStyle.STRICT)

  private val DayOnly = """(\d{4}-\d{2}-\d{2})""".r

  /** A valid run id, normalized; run ids of one fixed width order lexicographically as in time. */
  def parseRunId(s: String): Option[String] =
    if (s.length == Contract.RunIdFormat.length && Try(LocalDateTime.parse(s, RunIdFormatter)).isSuccess) Some(s)
    else None

  /** The run id of a top-level archive entry named `run=<id>`, if it is one. */
  def runIdOfFolder(name: String): Option[String] =
    if (name.startsWith(Contract.RunFolderPrefix)) parseRunId(name.substring(Contract.RunFolderPrefix.length))
    else None

  /** `--since` / `--until` take a day (`yyyy-MM-dd`, meaning its midnight UTC) or a full run id. */
  def parseBound(s: String): Either[String, String] = s match {
    case DayOnly(day) if parseRunId(day + "-00-00-00").isDefined => Right(day + "-00-00-00")
    case other =>
      parseRunId(other).toRight(s"'$s' is neither yyyy-MM-dd nor ${Contract.RunIdFormat} (UTC)")
  }

  /** since is inclusive, until exclusive. */
  def selected(runId: String, since: Option[String], until: Option[String]): Boolean =
    since.forall(runId >= _) && until.forall(runId < _)
}

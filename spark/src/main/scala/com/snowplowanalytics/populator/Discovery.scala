package com.snowplowanalytics.populator

import java.util.concurrent.Executors

import scala.concurrent.{Await, ExecutionContext, Future}
import scala.concurrent.duration.Duration

import org.apache.hadoop.conf.Configuration

import com.snowplowanalytics.populator.generated.Contract

/** The runs the job reads and their files, listed before anything is read. */
final case class Selection(
  listing: ArchiveListing,
  /** (run id, run folder) of the selected runs, in run order. */
  selected: Vector[(String, String)],
  files: Vector[ArchiveFile],
  /** The files' digest and per-run counts, which a resume compares with the resumed run's. */
  filesDigest: String,
  filesPerRun: Map[String, (Long, Long)]
) {
  def runIds: Vector[String] = selected.map(_._1)
  def bytes: Long = files.map(_.bytes).sum
}

/** Lists the archive's runs, selects them by `--since`/`--until`, lists their files. */
object Discovery {

  /**
   * The selection, or an [[InputError]] saying what to fix (no run folders, none selected, or an
   * archive that changed since the run being resumed). Run folders are listed in parallel.
   */
  def select(config: JobConfig, conf: Configuration, resumed: Option[ResumePlan], log: String => Unit): Selection = {
    val listing = ArchiveReader.listRuns(config.archive, conf)
    listing.ignored.foreach(p => log(s"warning: ignoring $p (not a run=${Contract.RunIdFormat} folder)"))
    if (listing.runs.isEmpty)
      throw new InputError(
        s"archive ${config.archive} has no run=${Contract.RunIdFormat} folders" +
          (if (listing.ignored.nonEmpty) s" (found only: ${listing.ignored.take(5).mkString(", ")})" else "") +
          ": pass the enriched archive folder itself"
      )
    val selected = listing.runs.filter { case (id, _) => RunSelection.selected(id, config.since, config.until) }
    if (selected.isEmpty)
      throw new InputError(
        s"none of the ${listing.runs.size} runs in ${config.archive} (${listing.runs.head._1} .. ${listing.runs.last._1}) is selected by " +
          List(config.since.map(s => s"${Contract.Args.since} $s"), config.until.map(u => s"${Contract.Args.until} $u")).flatten.mkString(" and ") +
          s": widen ${Contract.Args.since}/${Contract.Args.until}"
      )
    val files = {
      val pool = Executors.newFixedThreadPool(math.min(16, selected.size))
      implicit val ec: ExecutionContext = ExecutionContext.fromExecutorService(pool)
      try Await.result(Future.traverse(selected) { case (id, path) => Future(ArchiveReader.listFiles(id, path, conf)) }, Duration.Inf).flatten
      finally pool.shutdown()
    }
    val (filesDigest, filesPerRun) = Resume.selection(files)
    resumed.foreach { p =>
      val diff = Resume.selectionDifferences(p, filesDigest, filesPerRun)
      if (diff.nonEmpty)
        throw new InputError(
          s"cannot resume ${config.resumeFrom.getOrElse("")}: the archive changed since it ran (${diff.take(5).mkString("; ")}${if (diff.size > 5) s"; and ${diff.size - 5} more" else ""}): start a new run"
        )
    }
    val selection = Selection(listing, selected, files, filesDigest, filesPerRun)
    log(s"selected ${selected.size} of ${listing.runs.size} runs: ${files.size} files, ${selection.bytes} bytes")
    selection
  }
}

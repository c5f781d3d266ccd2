package com.snowplowanalytics.populator

import scala.collection.mutable

import org.apache.hadoop.conf.Configuration
import org.apache.spark.{Aggregator, SparkContext, TaskContext}
import org.apache.spark.broadcast.Broadcast
import org.apache.spark.rdd.{RDD, ShuffledRDD}
import org.apache.spark.util.LongAccumulator

import com.snowplowanalytics.populator.generated.Contract

/**
 * What the read stage found: the keys, deduplicated and sorted within their write partitions (read
 * again by the write stage), and the statistics of every run.
 */
final case class ReadResult(
  keys: RDD[(ShuffleKey, ShuffleValue)],
  totals: RunStats,
  keyCount: Long,
  /** Each run's earliest etl time over its valid lines (runs with none are absent). */
  runMin: Map[Int, Long],
  /** Files that could not be read to their end, by path. */
  unreadable: Vector[UnreadableFile]
)

/**
 * Read, classify and dedupe in one pass: every file of every selected run is read once, its lines
 * classified, bad ones written to the bad rows, and the keys and per-run statistics combined in one
 * shuffle into the write partitions.
 */
object ReadStage {

  def merge(a: ShuffleValue, b: ShuffleValue): ShuffleValue = (a, b) match {
    case (x: Occurrences, y: Occurrences) => Occurrences(math.min(x.minEventEtl, y.minEventEtl), x.runs ++ y.runs)
    case (x: RunStats, y: RunStats)       => x + y
    case _                                => throw new IllegalStateException(s"cannot merge $a and $b")
  }

  /**
   * Classifies every line of a group of files; bad lines go to the bad-rows sink as they are met.
   * A file that cannot be read to its end keeps the lines read before the failure, gets one
   * UNREADABLE_FILE bad row and is listed in its run's statistics; the task goes on.
   */
  def readPartition(
    files: Seq[ArchiveFile],
    runIndex: Map[String, Int],
    mode: EtlTimeMode,
    conf: Configuration,
    output: String,
    partition: Int,
    onFileDone: () => Unit
  ): Iterator[(ShuffleKey, ShuffleValue)] = {
    val sink = new ArchiveReader.BadRowSink(output, partition, conf)
    // One listener for the whole task, closing whatever is open when it ends (a failure, a kill):
    // one per file would keep every file's reader, and its buffers, alive until the task ends,
    // and a task can read 100,000 small files. A file read to its end closes itself.
    var current: Option[ArchiveReader.Lines] = None
    Option(TaskContext.get()).foreach(_.addTaskCompletionListener[Unit] { _ =>
      current.foreach(_.close())
      sink.close()
    })
    // Built once per task: a factory per file costs a scan of the codec classes each time.
    val codecs = new org.apache.hadoop.io.compress.CompressionCodecFactory(conf)
    // Mutable tallies on the hot path; they become immutable RunStats once the partition is read.
    final class Tally {
      var lines, noFingerprint, valid = 0L
      val bad = new Array[Long](Classify.LineReasons.size)
      var minEtl = Long.MaxValue
      val unreadable = Vector.newBuilder[UnreadableFile]
      def stats: RunStats = RunStats(lines, bad.toVector, noFingerprint, valid, minEtl, unreadable.result())
    }
    val reasonIndex: Map[String, Int] = Classify.LineReasons.zipWithIndex.toMap
    val tallies = mutable.LinkedHashMap.empty[Int, Tally]
    val records = files.iterator.flatMap { file =>
      val run = runIndex(file.runId)
      val t = tallies.getOrElseUpdate(run, new Tally)
      val runs = if (mode == EtlTimeMode.Run) Set(run) else Set.empty[Int]
      val lines = new ArchiveReader.Lines(file.path, conf, codecs)
      current = Some(lines)
      lines.flatMap { line =>
        t.lines += 1
        // The reader cut a line over MaxLineBytes: bad whatever its start looks like.
        val classified = if (lines.tooLong) Classified.Bad(Contract.BadRowReasons.lineTooLong) else Classify.classify(line)
        classified match {
          case Classified.Bad(reason) =>
            sink.write(
              if (reason == Contract.BadRowReasons.lineTooLong) Report.tooLongLineJson(line, file.path)
              else Report.badRowJson(line, reason, file.path)
            )
            t.bad(reasonIndex(reason)) += 1
            Iterator.empty
          case Classified.NoFingerprint(_, etl) =>
            t.noFingerprint += 1
            t.minEtl = math.min(t.minEtl, etl)
            Iterator.empty
          case Classified.Valid(eventId, fingerprint, etl) =>
            t.valid += 1
            t.minEtl = math.min(t.minEtl, etl)
            Iterator.single((KeyOf(eventId, fingerprint): ShuffleKey) -> (Occurrences(etl, runs): ShuffleValue))
        }
      } ++ {
        lines.failure.foreach { error =>
          val u = UnreadableFile(file.path, error, lines.linesRead)
          t.unreadable += u
          sink.write(Report.unreadableFileJson(u))
        }
        current = None
        onFileDone()
        Iterator.empty
      }
    }
    records ++ { sink.close(); tallies.iterator.map { case (run, t) => (RunOf(run): ShuffleKey) -> (t.stats: ShuffleValue) } }
  }

  /**
   * Reads `bins` (groups of files, one task each) into `writePartitions` partitions, placed by a
   * JVM-independent hash. `sorted`: a partition's keys come sorted ([[ShuffleKeyOrder.ordering]]),
   * the order progress records count in, the same in a resumed run; else in hash order.
   */
  def run(
    sc: SparkContext,
    bins: Vector[Vector[ArchiveFile]],
    runIds: Vector[String],
    mode: EtlTimeMode,
    confB: Broadcast[SerializableConfiguration],
    output: String,
    writePartitions: Int,
    filesAcc: LongAccumulator,
    sorted: Boolean = true
  ): ReadResult = {
    val runIndex = runIds.zipWithIndex.toMap
    val tagged: RDD[(ShuffleKey, ShuffleValue)] =
      sc.parallelize(bins, math.max(1, bins.size)).mapPartitionsWithIndex { (pid, groups) =>
        val c = confB.value.value
        groups.flatMap(g => readPartition(g, runIndex, mode, c, output, pid, () => filesAcc.add(1)))
      }
    val shuffled = new ShuffledRDD[ShuffleKey, ShuffleValue, ShuffleValue](tagged, KeyPartitioner(writePartitions))
      .setAggregator(new Aggregator[ShuffleKey, ShuffleValue, ShuffleValue](identity, merge _, merge _))
      .setMapSideCombine(true)
    // Unsorted, the combined keys come in hash order: what import files want (sorted rows make
    // rolling hot partitions in ImportTable).
    val reduced = if (sorted) shuffled.setKeyOrdering(ShuffleKeyOrder.ordering) else shuffled

    val perPartition = reduced
      .mapPartitions { it =>
        var keys = 0L
        val stats = mutable.ArrayBuffer.empty[(Int, RunStats)]
        it.foreach {
          case (_: KeyOf, _)           => keys += 1
          case (RunOf(r), s: RunStats) => stats += r -> s
          case (k, v)                  => throw new IllegalStateException(s"unexpected $k -> $v")
        }
        Iterator.single((keys, stats.toVector))
      }
      .collect()
    val statsByRun: Map[Int, RunStats] =
      perPartition.iterator.flatMap(_._2).toVector.groupBy(_._1).map { case (r, ss) => r -> ss.map(_._2).reduce(_ + _) }
    val totals = statsByRun.values.foldLeft(RunStats())(_ + _)
    ReadResult(
      keys = reduced,
      totals = totals,
      keyCount = perPartition.map(_._1).sum,
      runMin = statsByRun.collect { case (r, s) if s.minEtl != Long.MaxValue => r -> s.minEtl },
      // Sorted: the concatenation order depends on how the shuffle merged the runs' statistics.
      unreadable = totals.unreadable.sortBy(_.path)
    )
  }

  /** One corrupt file is the archive's problem; no file readable at all is the setup's: stop before writing. */
  def requireSomethingRead(files: Vector[ArchiveFile], read: ReadResult): Unit =
    if (files.nonEmpty && read.unreadable.size == files.size && read.totals.lines == 0)
      throw new InputError(
        s"none of the ${files.size} file(s) of the selected runs could be read (first: ${read.unreadable.head.path}: ${read.unreadable.head.error}): " +
          "check read access to the archive (s3:GetObject, file permissions) and that it holds enriched TSV files, plain or gzip"
      )

  /** The warning for a file that was set aside. */
  def unreadableWarning(u: UnreadableFile): String =
    s"warning: could not read ${u.path} to its end (${u.error}); its ${u.linesRead} line(s) before the failure were kept, " +
      s"the rest of the archive is read as usual: check or replace the file and re-run with ${Contract.Args.since}/${Contract.Args.until} covering its run"
}

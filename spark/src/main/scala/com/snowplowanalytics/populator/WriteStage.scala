package com.snowplowanalytics.populator

import org.apache.spark.TaskContext
import org.apache.spark.broadcast.Broadcast
import org.apache.spark.rdd.RDD
import org.apache.spark.util.LongAccumulator

/**
 * What one write partition did: this run's counts, the outcomes carried over from the run it
 * resumes, those of earlier attempts of this task (their records), and the lookups of --skip-present.
 */
final case class PartitionOutcome(own: WriteCounts, carried: Outcomes, earlierAttempts: Outcomes, looked: LookupCounts)

/** The write stage's live counters (deltas added from the tasks, read on the driver for progress). */
final case class WriteAccumulators(
  written: LongAccumulator,
  present: LongAccumulator,
  conflicting: LongAccumulator,
  expired: LongAccumulator,
  throttled: LongAccumulator
)

/** The write stage's totals over every partition, the resumed run's finished ones included. */
final case class WriteResult(counts: WriteCounts, carried: Outcomes, partitionsDone: Int, looked: LookupCounts)

/**
 * Writes one partition of deduplicated keys: each key becomes a manifest item (its etl time by
 * `mode`), expired ones are counted, with --skip-present the keys the table holds are looked up
 * and settled without a put, the rest go to [[ManifestWriter.writePartition]]. Progress records
 * ([[ResumeRecorder]]) say how far it got, so a resume, or a retried attempt of the task, sends
 * only what is not settled. Shipped to the executors in the task's closure.
 */
final class PartitionWriter(
  settings: WriteSettings,
  inherited: Broadcast[Map[Int, PartitionRecord]],
  runMin: Broadcast[Map[Int, Long]],
  conf: Broadcast[SerializableConfiguration],
  output: String,
  mode: EtlTimeMode,
  ttlSeconds: Long,
  skipExpired: Boolean,
  skipPresent: Boolean,
  now: Long,
  accs: WriteAccumulators
) extends Serializable {

  def apply(partition: Int, it: Iterator[(ShuffleKey, ShuffleValue)]): PartitionOutcome = {
    val resumed = inherited.value.get(partition)
    // A retried attempt goes on from where the failed one recorded it got (which started from `resumed`).
    val earlier =
      if (Option(TaskContext.get()).exists(_.attemptNumber() > 0)) Resume.loadRecord(output, partition, conf.value.value).filter(_.covered > 0)
      else None
    val carried = resumed.fold(Outcomes())(_.outcomes)
    val earlierAttempts = earlier.fold(Outcomes())(e => e.outcomes - carried)
    if (resumed.exists(_.done)) PartitionOutcome(WriteCounts(), Outcomes(), Outcomes(), LookupCounts())
    else {
      val (own, looked) = write(partition, it, earlier.orElse(resumed))
      PartitionOutcome(own, carried, earlierAttempts, looked)
    }
  }

  /** Writes what `before` (the records this attempt starts from) does not show settled. */
  private def write(partition: Int, it: Iterator[(ShuffleKey, ShuffleValue)], before: Option[PartitionRecord]): (WriteCounts, LookupCounts) = {
    val tracker = new PartitionTracker(partition, before)
    ResumeRecorder.register(tracker, output, () => conf.value.value)
    val keyed = new KeyedItems(partition, it, before, tracker)
    // --skip-present: the keys the table holds are settled here, without a put.
    val filter =
      if (skipPresent) Some(new PresentFilter(keyed, ManifestWriter.presentLookup(settings), (i, outcome) => {
        tracker.settle(i, outcome)
        outcome match {
          case Settled.Present  => accs.present.add(1)
          case Settled.Conflict => accs.conflicting.add(1)
          case _                => ()
        }
      }))
      else None
    var lastIndex = -1L
    val items = filter.getOrElse(keyed).map { case (i, item) => lastIndex = i; item }
    var reported = WriteCounts()
    val c =
      try ManifestWriter.writePartition(
        settings,
        items,
        now => {
          // Deltas, from the task thread: heartbeats carry them to the driver while the task runs.
          accs.written.add(now.written - reported.written)
          accs.present.add(now.alreadyPresent - reported.alreadyPresent)
          accs.conflicting.add(now.conflicting - reported.conflicting)
          accs.throttled.add(now.throttledRetries - reported.throttledRetries)
          reported = now
        },
        () => conf.value.value,
        onSettled = (i, outcome) => tracker.settle(i, outcome),
        indexOfLast = () => lastIndex
      )
      catch {
        case e: Throwable =>
          scala.util.Try(ResumeRecorder.close(tracker, done = false))
          throw e
      }
    // The last record, `done`, before the task reports success; a failure records how far it got.
    ResumeRecorder.close(tracker, done = true)
    val looked = filter.fold(LookupCounts())(_.counts)
    (c.copy(expired = keyed.expired, alreadyPresent = c.alreadyPresent + looked.skippedPresent, conflicting = c.conflicting + looked.skippedConflicting), looked)
  }

  /**
   * The partition's keys as (index in the partition's key order, item), without the indexes the
   * records show settled and without expired items (counted and settled here).
   */
  private final class KeyedItems(partition: Int, it: Iterator[(ShuffleKey, ShuffleValue)], before: Option[PartitionRecord], tracker: PartitionTracker)
      extends Iterator[(Long, ManifestItem)] {
    private val skips = new Resume.Skips(before.fold(Vector.empty[(Long, Long)])(_.ranges))
    private var index = -1L
    var expired = 0L
    private val items = it.flatMap {
      case (k: KeyOf, o: Occurrences) =>
        index += 1
        if (index == 0) {
          if (before.exists(b => b.firstKey.exists(_ != k)))
            throw new IllegalStateException(
              s"the progress records of write partition $partition do not match its keys (recorded first key ${before.flatMap(_.firstKey)}, found $k): start the run afresh"
            )
          tracker.first(k)
        }
        if (skips.contains(index)) None
        else {
          val item = ManifestItem.of(k, o, mode, runMin.value, ttlSeconds)
          if (ManifestItem.skipped(item, skipExpired, now)) { expired += 1; accs.expired.add(1); tracker.settle(index, Settled.Expired); None }
          else Some((index, item))
        }
      case _ => None
    }
    def hasNext: Boolean = items.hasNext
    def next(): (Long, ManifestItem) = items.next()
  }
}

object WriteStage {

  /** Runs `writer` over every partition of `keys` and adds up what they did. */
  def run(keys: RDD[(ShuffleKey, ShuffleValue)], writer: PartitionWriter, inherited: Map[Int, PartitionRecord]): WriteResult = {
    val results = keys.mapPartitionsWithIndex((partition, it) => Iterator.single(writer(partition, it))).collect()
    val own = results.iterator.map(_.own).foldLeft(WriteCounts())(_ + _)
    val earlier = results.iterator.map(_.earlierAttempts).foldLeft(Outcomes())(_ + _)
    val counts = own.copy(
      written = own.written + earlier.written,
      alreadyPresent = own.alreadyPresent + earlier.alreadyPresent,
      conflicting = own.conflicting + earlier.conflicting,
      expired = own.expired + earlier.expired
    )
    val carried = results.iterator.map(_.carried).foldLeft(Outcomes())(_ + _) +
      // Partitions the resumed run finished were not run again: their outcomes are the records'.
      inherited.valuesIterator.filter(_.done).map(_.outcomes).foldLeft(Outcomes())(_ + _)
    WriteResult(counts, carried, inherited.valuesIterator.count(_.done), results.iterator.map(_.looked).foldLeft(LookupCounts())(_ + _))
  }
}

package com.snowplowanalytics.populator

import java.util.concurrent.CompletableFuture

import scala.jdk.CollectionConverters._
import scala.collection.mutable
import scala.util.{Failure, Success, Try}

import software.amazon.awssdk.services.dynamodb.model._

import com.snowplowanalytics.populator.generated.Contract

/** What `--skip-present` did: keys looked up, and those found (not put) by how they were found. */
final case class LookupCounts(lookedUp: Long = 0, skippedPresent: Long = 0, skippedConflicting: Long = 0, lookups: Long = 0, throttled: Long = 0) {
  def +(o: LookupCounts): LookupCounts =
    LookupCounts(lookedUp + o.lookedUp, skippedPresent + o.skippedPresent, skippedConflicting + o.skippedConflicting, lookups + o.lookups, throttled + o.throttled)
}

/**
 * `--skip-present`: before a key is put, it is looked up (BatchGetItem, [[SkipPresent.BatchSize]]
 * keys per request, eventually consistent: half a read unit per key, about a tenth of a put's
 * price), and only the keys the table does not hold go on to the writer. A key found with this
 * run's etlTime is counted as already present, one found with another as conflicting, exactly as
 * their puts would have been answered; neither is rewritten (so neither gets this run's ttl).
 * Eventually consistent reads may miss an item written within the last second: it is then put,
 * and the put's condition counts it as a put would. Nothing is lost either way.
 */
object SkipPresent {
  val BatchSize = 100

  private def s(v: String): AttributeValue = AttributeValue.builder().s(v).build()

  private val names: java.util.Map[String, String] =
    Map("#e" -> Contract.AttrEventId, "#f" -> Contract.AttrFingerprint, "#t" -> Contract.AttrEtlTime).asJava

  def request(table: String, keys: java.util.Collection[java.util.Map[String, AttributeValue]]): BatchGetItemRequest =
    BatchGetItemRequest
      .builder()
      .requestItems(
        Map(
          table -> KeysAndAttributes.builder().keys(keys).projectionExpression("#e, #f, #t").expressionAttributeNames(names).consistentRead(false).build()
        ).asJava
      )
      .build()

  /**
   * Which of `items` the table holds, with their etlTime (None when an item has none): one
   * request, its UnprocessedKeys sent again after a backoff; throttling retried for up to
   * `throttleRetryNanos` (10 minutes), other retryable failures up to `maxAttempts` times, then the
   * task fails saying so (`failure` maps what cannot be retried to the user-facing error).
   */
  def lookup(
    items: Seq[ManifestItem],
    get: BatchGetItemRequest => CompletableFuture[BatchGetItemResponse],
    settings: WriteSettings,
    clock: Clock,
    random: () => Double,
    failure: Throwable => Throwable
  ): (Map[(String, String), Option[Long]], LookupCounts) = {
    var pending: java.util.Collection[java.util.Map[String, AttributeValue]] =
      items.map(i => Map(Contract.AttrEventId -> s(i.eventId), Contract.AttrFingerprint -> s(i.fingerprint)).asJava).asJava
    val found = mutable.Map.empty[(String, String), Option[Long]]
    var attempt = 0
    var requests = 0L
    var throttled = 0L
    val started = clock.nanoTime()
    def waitOrGiveUp(cause: Option[Throwable], isThrottle: Boolean): Unit = {
      attempt += 1
      if (isThrottle) {
        throttled += 1
        if (clock.nanoTime() - started > settings.throttleRetryNanos)
          throw new ManifestWriteException(
            s"BatchGetItem on table ${settings.table} was throttled for 10 minutes (--skip-present): give the table more read capacity, or run without --skip-present",
            cause.orNull
          )
      } else if (attempt >= settings.maxAttempts) throw failure(cause.orNull)
      clock.sleepNanos(ManifestWriter.backoffNanos(settings, math.min(attempt, 30), random()))
    }
    while (!pending.isEmpty) {
      requests += 1
      Try(get(request(settings.table, pending)).get()) match {
        case Success(r) =>
          Option(r.responses()).flatMap(m => Option(m.get(settings.table))).foreach(_.asScala.foreach { i =>
            val etl = Option(i.get(Contract.AttrEtlTime)).flatMap(a => Option(a.n())).flatMap(n => Try(n.toLong).toOption)
            found((i.get(Contract.AttrEventId).s(), i.get(Contract.AttrFingerprint).s())) = etl
          })
          val rest = Option(r.unprocessedKeys()).flatMap(u => Option(u.get(settings.table))).map(_.keys()).getOrElse(java.util.Collections.emptyList[java.util.Map[String, AttributeValue]]())
          // Unprocessed keys are the table's capacity saying "later": as throttling.
          if (!rest.isEmpty) waitOrGiveUp(None, isThrottle = true) else attempt = 0
          pending = rest
        case Failure(e) if ManifestWriter.isRetryable(e) =>
          waitOrGiveUp(Some(ManifestWriter.unwrap(e)), isThrottle = ManifestWriter.classifyFailure(e) == FailureKind.Throttled)
        case Failure(e) => throw failure(e)
      }
    }
    (found.toMap, LookupCounts(lookedUp = items.size.toLong, lookups = requests, throttled = throttled))
  }
}

/**
 * The keys of a write partition with their indices, less those the table already holds: looked up
 * [[SkipPresent.BatchSize]] at a time as the writer asks for more. Keys found are settled at once
 * (`onSkipped`: the progress records count them as done).
 */
final class PresentFilter(
  upstream: Iterator[(Long, ManifestItem)],
  lookup: Seq[ManifestItem] => (Map[(String, String), Option[Long]], LookupCounts),
  onSkipped: (Long, Settled) => Unit
) extends Iterator[(Long, ManifestItem)] {
  private var buffer: Iterator[(Long, ManifestItem)] = Iterator.empty
  private var totals = LookupCounts()

  def counts: LookupCounts = totals

  private def fill(): Unit =
    while (!buffer.hasNext && upstream.hasNext) {
      val batch = Vector.newBuilder[(Long, ManifestItem)]
      var n = 0
      while (n < SkipPresent.BatchSize && upstream.hasNext) { batch += upstream.next(); n += 1 }
      val keys = batch.result()
      val (found, c) = lookup(keys.map(_._2))
      var present = 0L
      var conflicting = 0L
      val keep = keys.filter { case (index, item) =>
        found.get((item.eventId, item.fingerprint)) match {
          case None                                  => true
          case Some(Some(etl)) if etl == item.etlTime => present += 1; onSkipped(index, Settled.Present); false
          case Some(_)                               => conflicting += 1; onSkipped(index, Settled.Conflict); false
        }
      }
      totals = totals + c.copy(skippedPresent = present, skippedConflicting = conflicting)
      buffer = keep.iterator
    }

  override def hasNext: Boolean = { fill(); buffer.hasNext }
  override def next(): (Long, ManifestItem) = { fill(); buffer.next() }
}

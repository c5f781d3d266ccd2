package com.snowplowanalytics.populator

import java.io.IOException
import java.net.URI
import java.time.Duration
import java.util.concurrent.{CompletableFuture, CompletionException, ConcurrentHashMap, ExecutionException, PriorityBlockingQueue, Semaphore, TimeUnit, TimeoutException}
import java.util.concurrent.atomic.{AtomicInteger, AtomicLong, AtomicReference}

import scala.jdk.CollectionConverters._

import software.amazon.awssdk.auth.credentials.{AwsBasicCredentials, AwsCredentialsProvider, DefaultCredentialsProvider, StaticCredentialsProvider}
import software.amazon.awssdk.awscore.exception.AwsServiceException
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration
import software.amazon.awssdk.core.exception.{ApiCallAttemptTimeoutException, ApiCallTimeoutException, SdkClientException}
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient
import software.amazon.awssdk.regions.Region
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient
import software.amazon.awssdk.services.dynamodb.model._

import com.snowplowanalytics.populator.generated.Contract

/** One manifest item (DESIGN 3.2). */
final case class ManifestItem(eventId: String, fingerprint: String, etlTime: Long, ttl: Long)

object ManifestItem {

  /**
   * The item of one deduplicated key, the one function both write modes (puts and import files)
   * build items with: etlTime by `mode` (the earliest etl time of the runs the key was in, from
   * `runMin`, or the key's own earliest etl_tstamp), ttl = etlTime + `ttlSeconds`.
   */
  def of(key: KeyOf, occurrences: Occurrences, mode: EtlTimeMode, runMin: Int => Long, ttlSeconds: Long): ManifestItem = {
    val etl = mode match {
      case EtlTimeMode.Run   => occurrences.runs.iterator.map(runMin).min
      case EtlTimeMode.Event => occurrences.minEventEtl
    }
    ManifestItem(key.eventId, key.fingerprint, etl, etl + ttlSeconds)
  }

  /** Left out as expired (`--skip-expired true`): its ttl is already past at `now`. */
  def skipped(item: ManifestItem, skipExpired: Boolean, now: Long): Boolean = skipExpired && item.ttl <= now
}

/** Per-task write outcomes; summed on the driver from task results, so retried tasks count once. */
final case class WriteCounts(
  written: Long = 0,
  alreadyPresent: Long = 0,
  conflicting: Long = 0,
  expired: Long = 0,
  throttledRetries: Long = 0,
  otherRetries: Long = 0,
  longestWaitNanos: Long = 0
) {
  def +(o: WriteCounts): WriteCounts = WriteCounts(
    written + o.written,
    alreadyPresent + o.alreadyPresent,
    conflicting + o.conflicting,
    expired + o.expired,
    throttledRetries + o.throttledRetries,
    otherRetries + o.otherRetries,
    math.max(longestWaitNanos, o.longestWaitNanos)
  )
}

/**
 * Where and how fast the job writes; shipped to executors. `writeRate` is the whole job's budget
 * (WCU/s), split between executor JVMs by [[ExecutorBudget]]: `executors` is the set the driver
 * published when the write stage was planned, `executorsFile` where it keeps publishing it, and
 * `runKey` tells this run's JVM-wide limiter from an earlier run's.
 */
final case class WriteSettings(
  table: String,
  region: String,
  endpoint: Option[URI],
  writeRate: Double,
  maxInFlight: Int,
  maxAttempts: Int = 15,
  throttleRetryNanos: Long = WriteSettings.ThrottleRetryNanos,
  baseBackoffMillis: Long = 50,
  maxBackoffMillis: Long = 20000,
  executors: ExecutorSet = ExecutorSet(0, Map(ExecutorSet.DriverId -> 1)),
  executorsFile: Option[String] = None,
  runKey: String = "",
  refreshMillis: Long = 2000
)

object WriteSettings {

  /**
   * How long one item is retried while it is throttled: 10 minutes. Throttling is the table
   * saying "later", not "no": every writer of the JVM slows down on it (the shared limiter), so
   * an item throttled for minutes is the table being full, and failing the task for it (as a
   * small count of attempts did) throws away the task's work and starts it again, no faster.
   */
  val ThrottleRetryNanos: Long = 10L * 60 * 1000 * 1000 * 1000
}

/**
 * What the table tells us before anything is read. The write budget is not derived here: the CLI
 * derives it (src/domain/write-rate.ts, the one implementation) and always passes `--write-rate`.
 */
final case class TableInfo(onDemand: Boolean, provisionedWcu: Long, onDemandMaxWcu: Option[Long])

/** How a failed put is handled. */
sealed trait FailureKind extends Product with Serializable

object FailureKind {
  /** The key exists with another etlTime: counted, not an error. */
  case object Conflict extends FailureKind
  /** Capacity exceeded: retry later and slow down. */
  case object Throttled extends FailureKind
  /** 5xx, connection or timeout: retry later. */
  case object Transient extends FailureKind
  /** Anything else (validation, access, missing table): retrying cannot help. */
  case object Fatal extends FailureKind
}

/**
 * Owns the DynamoDB client (one per executor JVM, shared by its tasks) and the write path: many
 * conditional puts in flight per task, paced by a [[RateLimiter]], retried with backoff + jitter.
 */
object ManifestWriter {

  private final case class ClientKey(region: String, endpoint: Option[URI], maxConcurrency: Int)

  private val clients = new ConcurrentHashMap[ClientKey, DynamoDbAsyncClient]()

  private val ThrottlingCodes =
    Set("ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "Throttling", "TooManyRequestsException")

  private val AuthCodes = Set(
    "AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException",
    "MissingAuthenticationTokenException", "MissingAuthenticationToken", "InvalidClientTokenId", "IncompleteSignature",
    "IncompleteSignatureException", "AuthFailure", "SignatureDoesNotMatch"
  )

  /**
   * Connections the JVM's client may open: every task of the JVM (about one per core) at its
   * window's ceiling, so the pool never caps what [[InFlightWindow]] allows. Netty opens
   * connections lazily: a high limit costs nothing until the puts are really in flight.
   */
  def maxConcurrency(maxInFlightPerTask: Int, cores: Int = Runtime.getRuntime.availableProcessors): Int =
    math.max(64, cores * InFlightWindow.ceiling(maxInFlightPerTask))

  /**
   * The credentials of the job's DynamoDB client: a storage config's static keys when the local
   * runner put them in the JVM's environment (Contract.Env: they are for DynamoDB only, S3 is read
   * with the caller's own chain), else the SDK's default chain (on EMR: the execution role).
   */
  def credentialsProvider(env: String => Option[String]): AwsCredentialsProvider = {
    val keys = for {
      id <- env(Contract.Env.dynamodbAccessKeyId).filter(_.nonEmpty)
      secret <- env(Contract.Env.dynamodbSecretAccessKey).filter(_.nonEmpty)
    } yield StaticCredentialsProvider.create(AwsBasicCredentials.create(id, secret))
    keys.getOrElse(DefaultCredentialsProvider.builder().build())
  }

  /**
   * The JVM's client for a region/endpoint/pool size, with [[credentialsProvider]]'s credentials. SDK retries are off: with many puts in flight they would overshoot a throttled
   * table, so retries and pacing happen above the SDK, in [[writePartition]]. The pool size is part
   * of the key: in local mode the driver's DescribeTable and the writers share the JVM, and the
   * writers' pool must not be the one sized for the first caller.
   */
  def client(region: String, endpoint: Option[URI], maxInFlightPerTask: Int = Contract.DefaultMaxInFlightPerTask): DynamoDbAsyncClient =
    clients.computeIfAbsent(
      ClientKey(region, endpoint, maxConcurrency(maxInFlightPerTask)),
      key => {
        val http = NettyNioAsyncHttpClient
          .builder()
          .maxConcurrency(Integer.valueOf(key.maxConcurrency))
          .maxPendingConnectionAcquires(Integer.valueOf(100000))
          .connectionAcquisitionTimeout(Duration.ofSeconds(60))
          .connectionTimeout(Duration.ofSeconds(5))
        val overrides = ClientOverrideConfiguration
          .builder()
          .retryStrategy(AwsRetryStrategy.doNotRetry())
          .apiCallAttemptTimeout(Duration.ofSeconds(15))
          .build()
        val b = DynamoDbAsyncClient
          .builder()
          .region(Region.of(key.region))
          .credentialsProvider(credentialsProvider(sys.env.get))
          .httpClientBuilder(http)
          .overrideConfiguration(overrides)
        key.endpoint.foreach(e => b.endpointOverride(e))
        b.build()
      }
    )

  /** Closes every client of this JVM (driver shutdown; executors just exit). */
  def closeAll(): Unit = {
    clients.values().asScala.foreach(c => scala.util.Try(c.close()))
    clients.clear()
  }

  /** Strips the wrappers async and Spark code put around the real failure. */
  @annotation.tailrec
  def unwrap(t: Throwable): Throwable = t match {
    case e @ (_: CompletionException | _: ExecutionException) if e.getCause != null => unwrap(e.getCause)
    case e                                                                        => e
  }

  private def causes(t: Throwable): Iterator[Throwable] = Iterator.iterate(t)(_.getCause).takeWhile(_ != null).take(20)

  private def errorCode(e: AwsServiceException): String =
    Option(e.awsErrorDetails()).flatMap(d => Option(d.errorCode())).getOrElse("")

  /** Decides what a failed put means; exceptions may still be wrapped. */
  def classifyFailure(t: Throwable): FailureKind = unwrap(t) match {
    case _: ConditionalCheckFailedException => FailureKind.Conflict
    case _: ProvisionedThroughputExceededException | _: RequestLimitExceededException | _: ThrottlingException =>
      FailureKind.Throttled
    case e: AwsServiceException if ThrottlingCodes(errorCode(e)) || e.statusCode() == 429 || e.isThrottlingException =>
      FailureKind.Throttled
    case e: AwsServiceException if e.statusCode() >= 500                                        => FailureKind.Transient
    case _: ApiCallAttemptTimeoutException | _: ApiCallTimeoutException                          => FailureKind.Transient
    case e: SdkClientException if causes(e).exists(c => c.isInstanceOf[IOException] || c.isInstanceOf[TimeoutException]) =>
      FailureKind.Transient
    case _: IOException | _: TimeoutException => FailureKind.Transient
    case _                                    => FailureKind.Fatal
  }

  /**
   * `--skip-present`'s lookup through the JVM's shared client: the keys of `items` the table
   * holds (see [[SkipPresent.lookup]]); its fatal failures are reported as the puts' are.
   */
  def presentLookup(settings: WriteSettings): Seq[ManifestItem] => (Map[(String, String), Option[Long]], LookupCounts) = {
    val c = client(settings.region, settings.endpoint, settings.maxInFlight)
    items =>
      SkipPresent.lookup(
        items,
        req => c.batchGetItem(req),
        settings,
        Clock.System,
        () => scala.util.Random.nextDouble(),
        e => userFacing(e, "BatchGetItem", settings.table, settings.region, settings.endpoint)
      )
  }

  /** Throttling or a transient failure, and not an access problem: worth another attempt. */
  def isRetryable(t: Throwable): Boolean = classifyFailure(t) match {
    case FailureKind.Throttled | FailureKind.Transient => !isAuthProblem(t)
    case _                                             => false
  }

  private def isAuthProblem(t: Throwable): Boolean = unwrap(t) match {
    case e: AwsServiceException => e.statusCode() == 403 || AuthCodes(errorCode(e))
    case e: SdkClientException  => causes(e).exists(c => Option(c.getMessage).exists(_.contains("Unable to load credentials")))
    case _                      => false
  }

  private def describeEndpoint(region: String, endpoint: Option[URI]): String =
    endpoint.fold(s"the DynamoDB endpoint of $region (or AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL)")(_.toString)

  /** Turns a fatal write or describe failure into the error the user sees. */
  private def userFacing(t: Throwable, action: String, table: String, region: String, endpoint: Option[URI]): Throwable = {
    val e = unwrap(t)
    if (isAuthProblem(e))
      new InputError(
        s"access denied or bad credentials for $action on table $table in region $region (${e.getMessage}): " +
          s"check the default AWS credential chain (env, profile, role) and that it allows dynamodb:$action on the table " +
          "(the job needs dynamodb:DescribeTable and dynamodb:PutItem, and dynamodb:BatchGetItem with --skip-present; populator iam-policy prints them)",
        e
      )
    else
      e match {
        case _: ResourceNotFoundException =>
          new InputError(
            s"table $table not found in region $region: create it with ${Contract.AttrEventId} (HASH, S) and ${Contract.AttrFingerprint} (RANGE, S)",
            e
          )
        case _ if classifyFailure(e) == FailureKind.Transient =>
          new InputError(
            s"cannot reach ${describeEndpoint(region, endpoint)} for $action (${e.getMessage}): " +
              s"check ${Contract.Args.dynamodbEndpoint}, the region and the network",
            e
          )
        case other => other
      }
  }

  /** Attempts of DescribeTable before a retryable failure (throttle, 5xx, connection, timeout) is final. */
  val DescribeAttempts = 4

  /** DescribeTable and the key-schema check (DESIGN 3.2); throws [[InputError]] on user-fixable problems. */
  def describeTable(table: String, region: String, endpoint: Option[URI]): TableInfo = {
    val request = DescribeTableRequest.builder().tableName(table).build()
    describeTableWith(() => client(region, endpoint).describeTable(request), table, region, endpoint, Clock.System, () => scala.util.Random.nextDouble())
  }

  /**
   * [[describeTable]] with the call, the clock and the jitter injected (tests). SDK retries are off
   * for this client: throttles, 5xx, dropped connections and timeouts (the writer's
   * classification) are retried here, `DescribeAttempts` times with jittered exponential backoff
   * (at most 0.25 + 0.5 + 1 s of waiting), so one bad connection does not fail the job as
   * "cannot reach"; an endpoint that stays unreachable still fails within a few seconds.
   */
  def describeTableWith(
    call: () => CompletableFuture[DescribeTableResponse],
    table: String,
    region: String,
    endpoint: Option[URI],
    clock: Clock,
    random: () => Double
  ): TableInfo = {
    @annotation.tailrec
    def describe(attempt: Int): TableDescription =
      scala.util.Try(call().join().table()) match {
        case scala.util.Success(t) => t
        case scala.util.Failure(e) if attempt < DescribeAttempts && isRetryable(e) =>
          val capMillis = 250L << (attempt - 1)
          clock.sleepNanos(((0.5 + 0.5 * random()) * capMillis * 1e6).toLong)
          describe(attempt + 1)
        case scala.util.Failure(e) => throw userFacing(e, "DescribeTable", table, region, endpoint)
      }
    val t = describe(1)
    val keys = t.keySchema().asScala.map(k => k.attributeName() -> k.keyTypeAsString()).toSet
    val types = t.attributeDefinitions().asScala.map(a => a.attributeName() -> a.attributeTypeAsString()).toMap
    val expected = Set(Contract.AttrEventId -> "HASH", Contract.AttrFingerprint -> "RANGE")
    if (keys != expected || types.get(Contract.AttrEventId).contains("S") == false || types.get(Contract.AttrFingerprint).contains("S") == false) {
      val actual = t.keySchema().asScala.map(k => s"${k.attributeName()} (${k.keyTypeAsString()}, ${types.getOrElse(k.attributeName(), "?")})").mkString(", ")
      throw new InputError(
        s"table $table in region $region has key schema [$actual]; expected ${Contract.AttrEventId} (HASH, S) and ${Contract.AttrFingerprint} (RANGE, S): " +
          "use a table created for the event manifest"
      )
    }
    val status = t.tableStatusAsString()
    if (status == "CREATING" || status == "DELETING" || status == "ARCHIVING" || status == "ARCHIVED" || status == "INACCESSIBLE_ENCRYPTION_CREDENTIALS")
      throw new InputError(s"table $table in region $region is $status: wait until it is ACTIVE")
    val onDemand = Option(t.billingModeSummary()).exists(_.billingModeAsString() == "PAY_PER_REQUEST")
    val wcu = Option(t.provisionedThroughput()).flatMap(p => Option(p.writeCapacityUnits())).map(_.longValue).getOrElse(0L)
    val odMax = Option(t.onDemandThroughput()).flatMap(o => Option(o.maxWriteRequestUnits())).map(_.longValue)
    TableInfo(onDemand = onDemand || wcu == 0L, provisionedWcu = wcu, onDemandMaxWcu = odMax)
  }

  /** The PutItem of DESIGN 3.2: conditional, idempotent for the same etlTime, old item returned. */
  def putRequest(table: String, item: ManifestItem): PutItemRequest = {
    def s(v: String) = AttributeValue.builder().s(v).build()
    def n(v: Long) = AttributeValue.builder().n(v.toString).build()
    PutItemRequest
      .builder()
      .tableName(table)
      .item(
        Map(
          Contract.AttrEventId -> s(item.eventId),
          Contract.AttrFingerprint -> s(item.fingerprint),
          Contract.AttrEtlTime -> n(item.etlTime),
          Contract.AttrTtl -> n(item.ttl)
        ).asJava
      )
      .conditionExpression(Contract.PutCondition)
      .expressionAttributeValues(Map(Contract.PutConditionValuePlaceholder -> n(item.etlTime)).asJava)
      .returnValues(ReturnValue.ALL_OLD)
      .build()
  }

  /**
   * Writes one task's items through the JVM's shared client. Only the puts' own failures become
   * the user-facing DynamoDB errors ("cannot reach", "access denied"); a failure of `items` (the
   * shuffle read feeding them, e.g. a fetch failure or a disk error) propagates as it is, for
   * Spark to handle and report as what it is.
   */
  def writePartition(
    settings: WriteSettings,
    items: Iterator[ManifestItem],
    onProgress: WriteCounts => Unit,
    conf: () => org.apache.hadoop.conf.Configuration = () => new org.apache.hadoop.conf.Configuration(),
    onSettled: (Long, Settled) => Unit = (_, _) => (),
    indexOfLast: () => Long = null
  ): WriteCounts = {
    val c = client(settings.region, settings.endpoint, settings.maxInFlight)
    // The JVM's limiter, shared by its writer tasks: its pace is what the table allowed so far.
    val limiter = JvmWriters.budgetFor(settings, conf).limiter
    writeAll(
      items,
      item => c.putItem(putRequest(settings.table, item)),
      limiter,
      settings,
      Clock.System,
      () => scala.util.Random.nextDouble(),
      onProgress,
      putFailure = e => userFacing(e, "PutItem", settings.table, settings.region, settings.endpoint),
      onSettled = onSettled,
      indexOfLast = indexOfLast
    )
  }

  /** An item on its way: `firstAt` is when it was first sent (how long it has waited). */
  private final class Pending(val item: ManifestItem, val attempt: Int, val readyAt: Long, val firstAt: Long, val index: Long)

  /** Full-jitter exponential backoff before attempt `attempt + 1`. */
  def backoffNanos(settings: WriteSettings, attempt: Int, random: Double): Long = {
    val cap = math.min(settings.maxBackoffMillis.toDouble, settings.baseBackoffMillis * math.pow(2, (attempt - 1).toDouble))
    (random * cap * 1e6).toLong
  }

  /**
   * The write loop, with the put injected so tests can script failures. Each put waits for a
   * limiter permit and a slot in the task's [[InFlightWindow]]; the window grows whenever the
   * limiter has a permit ready but every slot is taken (so the limiter, not the endpoint's answer
   * time, paces the task) and shrinks when the limiter slows down on throttling. Retryable failures
   * come back after a backoff, ahead of new items: a throttled item for up to
   * `throttleRetryNanos` (10 minutes) since its first put, another retryable failure (5xx,
   * connection) up to `maxAttempts` times. An item beyond that, or failing fatally, fails the
   * task: nothing is dropped silently. The counts say how long the slowest item waited; `putFailure` maps a put's fatal
   * failure to what the task throws. `onProgress` gets the running totals on the calling thread
   * about once a second (live progress through accumulators).
   */
  def writeAll(
    items: Iterator[ManifestItem],
    put: ManifestItem => CompletableFuture[PutItemResponse],
    limiter: RateLimiter,
    settings: WriteSettings,
    clock: Clock,
    random: () => Double,
    onProgress: WriteCounts => Unit = _ => (),
    window: Option[InFlightWindow] = None,
    putFailure: Throwable => Throwable = identity,
    onSettled: (Long, Settled) => Unit = (_, _) => (),
    indexOfLast: () => Long = null
  ): WriteCounts =
    new PutLoop(items, put, limiter, settings, clock, random, onProgress, window.getOrElse(InFlightWindow(settings.maxInFlight)), putFailure, onSettled, indexOfLast).run()

  /**
   * One run of [[writeAll]]: the task thread's loop (`run`: the next item or retry, a slot, a permit,
   * the send) and what the SDK's completion threads do with each answer (`settle`, `onFailure`).
   * Shared state is atomic; only the task thread takes slots.
   */
  private final class PutLoop(
    items: Iterator[ManifestItem],
    put: ManifestItem => CompletableFuture[PutItemResponse],
    limiter: RateLimiter,
    settings: WriteSettings,
    clock: Clock,
    random: () => Double,
    onProgress: WriteCounts => Unit,
    slots: InFlightWindow,
    putFailure: Throwable => Throwable,
    onSettled: (Long, Settled) => Unit,
    indexOfLast: () => Long
  ) {
    private val inFlight = new AtomicInteger(0)
    private val signal = new Semaphore(0)
    private val outstanding = new AtomicInteger(0)
    private val failure = new AtomicReference[Throwable](null)
    private val retries = new PriorityBlockingQueue[Pending](16, (a: Pending, b: Pending) => java.lang.Long.compare(a.readyAt, b.readyAt))
    private val written, alreadyPresent, conflicting, throttled, otherRetries = new AtomicLong(0)
    private val longestWait = new AtomicLong(0)
    private val maxWait = TimeUnit.MILLISECONDS.toNanos(20)
    private val progressEvery = TimeUnit.SECONDS.toNanos(1)
    private var taken = 0L

    def run(): WriteCounts = {
      var lastProgress = clock.nanoTime()
      var finished = false
      while (!finished) {
        if (clock.nanoTime() - lastProgress >= progressEvery) { onProgress(counts()); lastProgress = clock.nanoTime() }
        throwIfFailed()
        val now = clock.nanoTime()
        val head = retries.peek()
        val next = nextPending(head, now)
        if (next != null) {
          if (awaitSlot()) { // else a failure, thrown at the top of the loop
            limiter.acquire()
            send(next)
          }
        } else if (outstanding.get() == 0) finished = true
        else {
          val waitNanos = if (head != null) math.max(0L, head.readyAt - now) else Long.MaxValue
          signal.tryAcquire(math.min(waitNanos, TimeUnit.MILLISECONDS.toNanos(20)), TimeUnit.NANOSECONDS)
          ()
        }
      }
      throwIfFailed()
      val result = counts()
      onProgress(result)
      result
    }

    private def throwIfFailed(): Unit = {
      val f = failure.get()
      if (f != null) throw f
    }

    /** A retry whose backoff is over, ahead of a new item; null when neither is ready. */
    private def nextPending(head: Pending, now: Long): Pending =
      if (head != null && head.readyAt <= now) retries.poll()
      else if (items.hasNext) {
        outstanding.incrementAndGet()
        val item = items.next()
        val index = if (indexOfLast == null) taken else indexOfLast()
        taken += 1
        new Pending(item, 1, now, now, index)
      }
      else null

    /** A slot in the window (false on a failure); only the task thread takes them, so it stays free until the send. */
    private def awaitSlot(): Boolean = {
      var slot = false
      while (!slot && failure.get() == null) {
        if (inFlight.get() < slots.size) slot = true
        else {
          val untilPermit = limiter.peek()
          // Every slot taken while the limiter has a permit ready: the window would pace the task.
          if (untilPermit == 0L && slots.grow()) slot = true
          else {
            signal.tryAcquire(if (untilPermit == 0L) maxWait else math.min(untilPermit, maxWait), TimeUnit.NANOSECONDS)
            ()
          }
        }
      }
      slot
    }

    private def done(p: Pending): Unit = {
      if (p.attempt > 1) longestWait.accumulateAndGet(clock.nanoTime() - p.firstAt, math.max)
      outstanding.decrementAndGet()
      signal.release()
    }

    private def send(p: Pending): Unit = {
      inFlight.incrementAndGet()
      val f =
        try put(p.item)
        catch { case e: Throwable => CompletableFuture.failedFuture[PutItemResponse](e) }
      f.whenComplete { (resp: PutItemResponse, err: Throwable) =>
        // The slot goes back last, so the task thread sees a failure before it sends more.
        try {
          if (err == null) settle(p, resp)
          else onFailure(p, err)
        } catch { case e: Throwable => failure.compareAndSet(null, e); signal.release() }
        finally { inFlight.decrementAndGet(); signal.release() }
      }
      ()
    }

    private def settle(p: Pending, resp: PutItemResponse): Unit = {
      if (resp.hasAttributes && !resp.attributes().isEmpty) { alreadyPresent.incrementAndGet(); onSettled(p.index, Settled.Present) }
      else { written.incrementAndGet(); onSettled(p.index, Settled.Written) }
      done(p)
    }

    private def onFailure(p: Pending, err: Throwable): Unit = {
      val kind = classifyFailure(err)
      val now = clock.nanoTime()
      val retry = kind match {
        case FailureKind.Throttled => now - p.firstAt < settings.throttleRetryNanos
        case FailureKind.Transient => p.attempt < settings.maxAttempts
        case _                     => false
      }
      kind match {
        case FailureKind.Conflict => conflicting.incrementAndGet(); onSettled(p.index, Settled.Conflict); done(p)
        case FailureKind.Throttled | FailureKind.Transient if retry => retryLater(p, kind, now)
        case FailureKind.Throttled | FailureKind.Transient =>
          failure.compareAndSet(null, givenUp(p, kind, err))
          signal.release()
        case FailureKind.Fatal =>
          failure.compareAndSet(null, putFailure(unwrap(err)))
          signal.release()
      }
    }

    private def retryLater(p: Pending, kind: FailureKind, now: Long): Unit = {
      if (kind == FailureKind.Throttled) {
        throttled.incrementAndGet()
        // The table is at capacity: fewer puts in flight, as fewer per second.
        if (limiter.onThrottle()) slots.shrink()
      }
      else otherRetries.incrementAndGet()
      retries.add(new Pending(p.item, p.attempt + 1, now + backoffNanos(settings, p.attempt, random()), p.firstAt, p.index))
      signal.release()
    }

    private def givenUp(p: Pending, kind: FailureKind, err: Throwable): Throwable = {
      val how =
        if (kind == FailureKind.Throttled)
          f"still throttled for ${settings.throttleRetryNanos / 60e9}%.0f minutes (${p.attempt} attempts)"
        else s"still failing after ${settings.maxAttempts} attempts"
      new ManifestWriteException(
        s"put of ${Contract.AttrEventId}=${p.item.eventId} ${Contract.AttrFingerprint}=${p.item.fingerprint} into ${settings.table} " +
          s"$how (${unwrap(err)}); the task fails so Spark can retry it",
        unwrap(err)
      )
    }

    private def counts(): WriteCounts = WriteCounts(
      written = written.get(),
      alreadyPresent = alreadyPresent.get(),
      conflicting = conflicting.get(),
      throttledRetries = throttled.get(),
      otherRetries = otherRetries.get(),
      longestWaitNanos = longestWait.get()
    )
  }
}

/**
 * How many puts one task may have in flight. It starts at `--max-in-flight` and is a safety bound,
 * not the pace: the [[RateLimiter]] paces. [[grow]] is called when the limiter has a permit ready
 * and every slot is taken (by Little's law the task needs rate x answer time slots: 2 tasks x 32 /
 * 0.2 s = 320 puts/s when the endpoint answers slowly, under a 400/s budget); [[shrink]] when the
 * limiter slows down on throttling, by the same factor, never below the start. Thread-safe.
 */
final class InFlightWindow(val start: Int, val ceiling: Int, shrinkFactor: Double = 0.7) {
  require(start >= 1 && ceiling >= start, s"window start $start, ceiling $ceiling")
  private val current = new AtomicInteger(start)

  def size: Int = current.get()

  /** One more slot, unless at the ceiling. */
  def grow(): Boolean = {
    val n = current.get()
    n < ceiling && (current.compareAndSet(n, n + 1) || grow())
  }

  def shrink(): Unit = {
    current.updateAndGet(n => math.max(start, (n * shrinkFactor).toInt))
    ()
  }
}

object InFlightWindow {

  /**
   * The window's ceiling for a start of `start` (`--max-in-flight`): 8 x start, at most 512, never
   * below the start; a start of 1 stays 1 (one put at a time, the original design, is a choice).
   * Why these bounds: a task's share of the budget is rarely above ~1,000-2,000 WCU/s, and 512 puts
   * in flight cover 5,000 puts/s at 100 ms answers, 1,700 at 300 ms, so the ceiling is not what
   * limits a healthy task; beyond that, more puts in flight only queue in netty or at the endpoint,
   * hold a connection each (the JVM's pool is sized for every task at its ceiling) and turn one
   * throttling episode into hundreds of throttled answers at once. 8 x keeps a deliberately small
   * `--max-in-flight` (a fragile endpoint) within an order of magnitude of what the user asked.
   */
  def ceiling(start: Int): Int = if (start <= 1) 1 else math.max(start, math.min(start * 8, 512))

  def apply(start: Int): InFlightWindow = new InFlightWindow(start, ceiling(start))
}

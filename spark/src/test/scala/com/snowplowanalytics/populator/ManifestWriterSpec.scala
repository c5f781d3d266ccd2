package com.snowplowanalytics.populator

import java.io.IOException
import java.util.concurrent.{CompletableFuture, CompletionException, ConcurrentHashMap, Executors, TimeUnit}
import java.util.concurrent.atomic.AtomicInteger

import scala.jdk.CollectionConverters._

import org.scalatest.funsuite.AnyFunSuite
import software.amazon.awssdk.awscore.exception.{AwsErrorDetails, AwsServiceException}
import software.amazon.awssdk.core.exception.{ApiCallAttemptTimeoutException, SdkClientException}
import software.amazon.awssdk.services.dynamodb.model._

import com.snowplowanalytics.populator.generated.Contract

class ManifestWriterSpec extends AnyFunSuite {
  import FailureKind._

  private def service(code: String, status: Int): AwsServiceException =
    AwsServiceException.builder().statusCode(status).awsErrorDetails(AwsErrorDetails.builder().errorCode(code).build()).build()

  test("retry classification, through CompletionException") {
    def k(t: Throwable) = ManifestWriter.classifyFailure(new CompletionException(t))
    assert(k(ConditionalCheckFailedException.builder().statusCode(400).build()) == Conflict)
    assert(k(ProvisionedThroughputExceededException.builder().statusCode(400).build()) == Throttled)
    assert(k(RequestLimitExceededException.builder().statusCode(400).build()) == Throttled)
    assert(k(service("ThrottlingException", 400)) == Throttled)
    assert(k(service("InternalServerError", 500)) == Transient)
    assert(k(service("ServiceUnavailable", 503)) == Transient)
    assert(k(SdkClientException.builder().message("conn").cause(new IOException("Connection reset")).build()) == Transient)
    assert(k(ApiCallAttemptTimeoutException.builder().message("slow").build()) == Transient)
    assert(k(ResourceNotFoundException.builder().statusCode(400).build()) == Fatal)
    assert(k(service("AccessDeniedException", 400)) == Fatal)
    assert(k(service("ValidationException", 400)) == Fatal)
    assert(k(new IllegalArgumentException("bug")) == Fatal)
  }

  test("the PutItem is the one DESIGN 3.2 prescribes") {
    val r = ManifestWriter.putRequest("manifest", ManifestItem("e", "f", 1485388885L, 1500940885L))
    assert(r.tableName() == "manifest")
    val item = r.item().asScala
    assert(item.keySet == Set(Contract.AttrEventId, Contract.AttrFingerprint, Contract.AttrEtlTime, Contract.AttrTtl))
    assert(item(Contract.AttrEventId).s() == "e" && item(Contract.AttrFingerprint).s() == "f")
    assert(item(Contract.AttrEtlTime).n() == "1485388885" && item(Contract.AttrTtl).n() == "1500940885")
    assert(r.conditionExpression() == "(attribute_not_exists(eventId) AND attribute_not_exists(fingerprint)) OR etlTime = :tst")
    assert(r.expressionAttributeValues().asScala.map { case (k, v) => k -> v.n() } == Map(":tst" -> "1485388885"))
    assert(r.returnValues() == ReturnValue.ALL_OLD)
  }

  private val settings = WriteSettings("t", "us-east-1", None, writeRate = 1e6, maxInFlight = 4, maxAttempts = 5, baseBackoffMillis = 1, maxBackoffMillis = 4)
  private def items(n: Int) = (1 to n).iterator.map(i => ManifestItem(s"e$i", s"f$i", i.toLong, i + 100L))
  private val ok = PutItemResponse.builder().build()
  private val present = PutItemResponse.builder().attributes(Map("eventId" -> AttributeValue.builder().s("x").build()).asJava).build()
  private val pool = Executors.newScheduledThreadPool(4)

  private def later[A](f: => Either[Throwable, A]): CompletableFuture[A] = {
    val cf = new CompletableFuture[A]()
    pool.schedule(
      new Runnable { def run(): Unit = f.fold(cf.completeExceptionally, cf.complete) },
      1,
      TimeUnit.MILLISECONDS
    )
    cf
  }

  private def write(n: Int, s: WriteSettings = settings)(put: ManifestItem => CompletableFuture[PutItemResponse]) =
    ManifestWriter.writeAll(items(n), put, new RateLimiter(s.writeRate, Clock.System), s, Clock.System, () => 0.5)

  test("throttled and failed puts are retried until they land, and counted") {
    val attempts = new ConcurrentHashMap[String, AtomicInteger]()
    val c = write(50) { item =>
      val a = attempts.computeIfAbsent(item.eventId, _ => new AtomicInteger()).incrementAndGet()
      later {
        item.eventId.drop(1).toInt match {
          case i if i % 5 == 0 && a < 3 => Left(ProvisionedThroughputExceededException.builder().statusCode(400).build())
          case i if i % 7 == 0 && a < 2 => Left(SdkClientException.builder().cause(new IOException("reset")).build())
          case i if i % 11 == 0         => Left(ConditionalCheckFailedException.builder().statusCode(400).build())
          case i if i % 2 == 0          => Right(present)
          case _                        => Right(ok)
        }
      }
    }
    val conflicting = (1 to 50).count(_ % 11 == 0)
    val present2 = (1 to 50).count(i => i % 2 == 0 && i % 11 != 0)
    assert(c.conflicting == conflicting && c.alreadyPresent == present2 && c.written == 50 - conflicting - present2)
    assert(c.throttledRetries == 2L * (1 to 50).count(_ % 5 == 0))
    assert(c.otherRetries == (1 to 50).count(i => i % 7 == 0 && i % 5 != 0))
  }

  test("never more than the window's ceiling at once, and a window of 1 stays 1 (the original design)") {
    def maxInFlight(s: WriteSettings): Int = {
      val inFlight = new AtomicInteger()
      val max = new AtomicInteger()
      val c = write(300, s) { _ =>
        max.accumulateAndGet(inFlight.incrementAndGet(), math.max)
        later { inFlight.decrementAndGet(); Right(ok) }
      }
      assert(c.written == 300)
      max.get()
    }
    val m = maxInFlight(settings)
    assert(m <= InFlightWindow.ceiling(settings.maxInFlight) && m >= 2, m)
    assert(maxInFlight(settings.copy(maxInFlight = 1)) == 1)
  }

  test("the window: starts at --max-in-flight, grows to 8x (at most 512), shrinks x0.7 down to its start") {
    assert(InFlightWindow.ceiling(32) == 256 && InFlightWindow.ceiling(4) == 32 && InFlightWindow.ceiling(100) == 512)
    assert(InFlightWindow.ceiling(1000) == 1000 && InFlightWindow.ceiling(1) == 1)
    val w = InFlightWindow(4)
    assert(w.size == 4)
    while (w.grow()) ()
    assert(w.size == 32)
    w.shrink()
    assert(w.size == 22)
    (1 to 10).foreach(_ => w.shrink())
    assert(w.size == 4)
    assert(!InFlightWindow(1).grow())
  }

  test("slow answers grow the window, so the limiter, not the window, paces the task") {
    // 400 puts/s at 50 ms per answer needs ~20 in flight; a fixed window of 2 would take 10 s.
    val s = settings.copy(writeRate = 400, maxInFlight = 2)
    val inFlight = new AtomicInteger()
    val max = new AtomicInteger()
    val t0 = System.nanoTime()
    val c = write(400, s) { _ =>
      max.accumulateAndGet(inFlight.incrementAndGet(), math.max)
      val cf = new CompletableFuture[PutItemResponse]()
      pool.schedule(new Runnable { def run(): Unit = { inFlight.decrementAndGet(); cf.complete(ok); () } }, 50, TimeUnit.MILLISECONDS)
      cf
    }
    val seconds = (System.nanoTime() - t0) / 1e9
    assert(c.written == 400)
    assert(max.get() > 2 && max.get() <= InFlightWindow.ceiling(2), max.get())
    assert(seconds >= 0.9 && seconds < 6.0, seconds) // paced at 400/s: ~1 s (slack for a loaded machine), not 10 s
  }

  test("throttling shrinks the window with the rate, once per cooldown") {
    val s = settings.copy(writeRate = 100, maxInFlight = 4)
    val window = InFlightWindow(4)
    while (window.grow()) ()
    // The limiter's time moves only as it paces (20 items, then 20 retries, at 100/s): every
    // throttle arrives within one cooldown whatever the machine's load.
    val limiter = new RateLimiter(s.writeRate, new FakeClock())
    val attempts = new ConcurrentHashMap[String, AtomicInteger]()
    val c = ManifestWriter.writeAll(
      items(20),
      item =>
        later {
          if (attempts.computeIfAbsent(item.eventId, _ => new AtomicInteger()).incrementAndGet() == 1)
            Left(ProvisionedThroughputExceededException.builder().statusCode(400).build())
          else Right(ok)
        },
      limiter,
      s,
      Clock.System,
      () => 0.5,
      window = Some(window)
    )
    assert(c.written == 20 && c.throttledRetries == 20)
    assert(window.size == 22, window.size) // 32 x 0.7, once: the other throttles came within the cooldown
  }

  test("an item still failing with 5xx after maxAttempts fails the task, naming the key") {
    val e = intercept[ManifestWriteException] {
      write(3)(item => later(if (item.eventId == "e2") Left(service("ServiceUnavailable", 503)) else Right(ok)))
    }
    assert(e.getMessage.contains("eventId=e2") && e.getMessage.contains("5 attempts"))
  }

  test("a fatal error fails the task at once") {
    val calls = new AtomicInteger()
    val e = intercept[ResourceNotFoundException] {
      write(3, settings.copy(maxInFlight = 1)) { _ => calls.incrementAndGet(); later(Left(ResourceNotFoundException.builder().message("gone").build())) }
    }
    assert(e.getMessage.contains("gone") && calls.get() == 1)
  }

  test("the pace holds with many puts in flight") {
    val s = settings.copy(writeRate = 200, maxInFlight = 32)
    val t0 = System.nanoTime()
    val c = write(100, s)(_ => later(Right(ok)))
    val seconds = (System.nanoTime() - t0) / 1e9
    assert(c.written == 100 && seconds >= 0.45, seconds)
  }

  private val goodTable = DescribeTableResponse
    .builder()
    .table(
      TableDescription
        .builder()
        .tableName("t")
        .tableStatus(TableStatus.ACTIVE)
        .keySchema(
          KeySchemaElement.builder().attributeName(Contract.AttrEventId).keyType(KeyType.HASH).build(),
          KeySchemaElement.builder().attributeName(Contract.AttrFingerprint).keyType(KeyType.RANGE).build()
        )
        .attributeDefinitions(
          AttributeDefinition.builder().attributeName(Contract.AttrEventId).attributeType(ScalarAttributeType.S).build(),
          AttributeDefinition.builder().attributeName(Contract.AttrFingerprint).attributeType(ScalarAttributeType.S).build()
        )
        .provisionedThroughput(ProvisionedThroughputDescription.builder().readCapacityUnits(5L).writeCapacityUnits(100L).build())
        .build()
    )
    .build()

  private def describe(answers: Throwable*): (scala.util.Try[TableInfo], Int, FakeClock) = {
    val calls = new AtomicInteger()
    val clock = new FakeClock()
    val r = scala.util.Try(
      ManifestWriter.describeTableWith(
        () => {
          val i = calls.getAndIncrement()
          if (i < answers.size) CompletableFuture.failedFuture[DescribeTableResponse](answers(i))
          else CompletableFuture.completedFuture(goodTable)
        },
        "t",
        "us-east-1",
        Some(new java.net.URI("http://127.0.0.1:1")),
        clock,
        () => 0.5
      )
    )
    (r, calls.get(), clock)
  }

  private def reset = SdkClientException.builder().message("Connection reset").cause(new IOException("Connection reset by peer")).build()

  test("DescribeTable retries dropped connections, timeouts, 5xx and throttles with backoff") {
    val (r, calls, clock) = describe(
      reset,
      ApiCallAttemptTimeoutException.builder().message("slow").build(),
      service("ServiceUnavailable", 503)
    )
    assert(r.get == TableInfo(onDemand = false, provisionedWcu = 100, onDemandMaxWcu = None) && calls == 4)
    assert(clock.now > 0L) // it waited between the attempts
    val (r2, calls2, _) = describe(service("ThrottlingException", 400))
    assert(r2.isSuccess && calls2 == 2)
  }

  test("DescribeTable gives up on an unreachable endpoint after a few attempts, with the clear message") {
    val (r, calls, clock) = describe(Seq.fill(10)(reset): _*)
    assert(calls == ManifestWriter.DescribeAttempts)
    val e = r.failed.get
    assert(e.isInstanceOf[InputError] && e.getMessage.startsWith("cannot reach http://127.0.0.1:1 for DescribeTable"), e.getMessage)
    assert(clock.now < 3000000000L) // a few seconds at most
  }

  test("DescribeTable does not retry what retrying cannot fix") {
    val (r, calls, _) = describe(ResourceNotFoundException.builder().message("no").statusCode(400).build())
    assert(calls == 1 && r.failed.get.getMessage.contains("table t not found"))
    val (r2, calls2, _) = describe(service("AccessDeniedException", 400))
    assert(calls2 == 1 && r2.failed.get.getMessage.contains("access denied"))
  }

  test("a failure of the items feeding the writer (the shuffle read) propagates as it is, not as a DynamoDB error") {
    val closedPort = { val s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress); try s.getLocalPort finally s.close() }
    val s = settings.copy(endpoint = Some(new java.net.URI(s"http://127.0.0.1:$closedPort")))
    val fetch = new IOException("Failed to fetch shuffle block shuffle_0_1_2 from 10.0.0.7:7337")
    val items = Iterator.tabulate(3)(i => if (i == 0) throw fetch else ManifestItem(s"e$i", "f", 1L, 2L))
    val e = intercept[Throwable](ManifestWriter.writePartition(s, items, _ => ()))
    assert(e eq fetch, e)
  }

  test("static keys handed over in the environment are DynamoDB's credentials; otherwise the default chain") {
    val env = Map(Contract.Env.dynamodbAccessKeyId -> "AKIDDYNAMO", Contract.Env.dynamodbSecretAccessKey -> "dynamo-secret")
    val p = ManifestWriter.credentialsProvider(env.get)
    assert(p.isInstanceOf[software.amazon.awssdk.auth.credentials.StaticCredentialsProvider])
    assert(p.resolveCredentials().accessKeyId() == "AKIDDYNAMO" && p.resolveCredentials().secretAccessKey() == "dynamo-secret")
    for (partial <- Seq(env - Contract.Env.dynamodbSecretAccessKey, env.updated(Contract.Env.dynamodbAccessKeyId, ""), Map.empty[String, String]))
      assert(ManifestWriter.credentialsProvider(partial.get).isInstanceOf[software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider])
  }

  /** Real time sped up `factor` times: minutes of backoff pass in a fraction of a second. */
  private final class FastClock(factor: Long) extends Clock {
    private val start = System.nanoTime()
    def nanoTime(): Long = (System.nanoTime() - start) * factor
    def sleepNanos(nanos: Long): Unit = if (nanos > 0) java.util.concurrent.locks.LockSupport.parkNanos(math.max(1L, nanos / factor))
  }

  /** e2 is throttled for `minutes` from its first attempt (not from the clock's start: under load the
   * first attempt comes late, and the wait measured from it would fall short of `minutes`). */
  private def throttledFor(minutes: Double, clock: Clock): ManifestItem => CompletableFuture[PutItemResponse] = {
    val firstAttempt = new java.util.concurrent.atomic.AtomicLong(-1L)
    item =>
      later {
        if (item.eventId == "e2") firstAttempt.compareAndSet(-1L, clock.nanoTime())
        if (item.eventId == "e2" && clock.nanoTime() - firstAttempt.get() < (minutes * 60e9).toLong)
          Left(ProvisionedThroughputExceededException.builder().statusCode(400).build())
        else Right(ok)
      }
  }

  test("throttling is retried for up to 10 minutes per item, not a small count, and the longest wait is reported") {
    val clock = new FastClock(300)
    val s = settings.copy(maxBackoffMillis = 20000)
    val c = ManifestWriter.writeAll(items(3), throttledFor(9, clock), new RateLimiter(1e6, clock), s, clock, () => 0.5)
    assert(c.written == 3 && c.throttledRetries > s.maxAttempts, c)
    val waited = c.longestWaitNanos / 60e9
    // Retried while under the 10 minutes, so it may land after them: by at most one backoff (20 s)
    // and this fast clock's polling, coarse under load.
    assert(waited >= 9 && waited < 11, s"$waited minutes")
  }

  test("an item still throttled after 10 minutes fails the task, saying so") {
    val clock = new FastClock(300)
    val e = intercept[ManifestWriteException] {
      ManifestWriter.writeAll(items(3), throttledFor(60, clock), new RateLimiter(1e6, clock), settings.copy(maxBackoffMillis = 20000), clock, () => 0.5)
    }
    assert(e.getMessage.contains("eventId=e2") && e.getMessage.contains("throttled for 10 minutes"), e.getMessage)
    assert(clock.nanoTime() >= 600e9.toLong)
  }

  test("without retries the longest wait is 0") {
    assert(write(5)(_ => later(Right(ok))).longestWaitNanos == 0L)
  }

  test("one limiter per JVM and run, shared by its tasks: what a throttle taught one task holds for the next") {
    val s = settings.copy(writeRate = 100, runKey = s"run-${System.nanoTime()}")
    val first = JvmWriters.budgetFor(s, () => new org.apache.hadoop.conf.Configuration())
    assert(first.limiter.onThrottle())
    assert(JvmWriters.budgetFor(s, () => new org.apache.hadoop.conf.Configuration()) eq first)
    assert(JvmWriters.budgetFor(s, () => new org.apache.hadoop.conf.Configuration()).limiter.rate < 100)
    val next = JvmWriters.budgetFor(s.copy(runKey = s.runKey + "-2"), () => new org.apache.hadoop.conf.Configuration())
    assert(!(next eq first) && next.limiter.maxRate == 100)
  }
}

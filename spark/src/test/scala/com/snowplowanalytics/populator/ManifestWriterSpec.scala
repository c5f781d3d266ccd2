package com.snowplowanalytics.populator

import java.io.IOException
import java.util.concurrent.{CompletableFuture, CompletionException, ConcurrentHashMap, Executors, TimeUnit}
import java.util.concurrent.atomic.AtomicInteger

import scala.collection.JavaConverters._

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

  private val settings = WriteSettings("t", "us-east-1", None, ratePerTask = 1e6, maxInFlight = 4, maxAttempts = 5, baseBackoffMillis = 1, maxBackoffMillis = 4)
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
    ManifestWriter.writeAll(items(n), put, new RateLimiter(s.ratePerTask, Clock.System), s, Clock.System, () => 0.5)

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

  test("never more than maxInFlight puts at once") {
    val inFlight = new AtomicInteger()
    val max = new AtomicInteger()
    val c = write(200) { _ =>
      max.accumulateAndGet(inFlight.incrementAndGet(), math.max)
      later { inFlight.decrementAndGet(); Right(ok) }
    }
    assert(c.written == 200 && max.get() <= settings.maxInFlight && max.get() >= 2)
  }

  test("an item still throttled after maxAttempts fails the task, naming the key") {
    val e = intercept[ManifestWriteException] {
      write(3)(item => later(if (item.eventId == "e2") Left(service("ThrottlingException", 400)) else Right(ok)))
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
    val s = settings.copy(ratePerTask = 200, maxInFlight = 32)
    val t0 = System.nanoTime()
    val c = write(100, s)(_ => later(Right(ok)))
    val seconds = (System.nanoTime() - t0) / 1e9
    assert(c.written == 100 && seconds >= 0.45, seconds)
  }

  test("default write rate from the table") {
    assert(TableInfo(onDemand = false, provisionedWcu = 100, onDemandMaxWcu = None).defaultWriteRate == 80)
    assert(TableInfo(onDemand = false, provisionedWcu = 1, onDemandMaxWcu = None).defaultWriteRate == 1)
    assert(TableInfo(onDemand = true, provisionedWcu = 0, onDemandMaxWcu = None).defaultWriteRate == Contract.DefaultOnDemandWriteRate)
    assert(TableInfo(onDemand = true, provisionedWcu = 0, onDemandMaxWcu = Some(300)).defaultWriteRate == 300)
  }
}

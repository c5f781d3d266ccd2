package com.snowplowanalytics.populator

import java.net.{InetSocketAddress, URI}
import java.net.http.{HttpClient, HttpRequest, HttpResponse}
import java.util.concurrent.Executors
import java.util.concurrent.atomic.AtomicInteger

import scala.jdk.CollectionConverters._

import com.sun.net.httpserver.{HttpExchange, HttpServer}

/**
 * An HTTP proxy in front of dynalite that answers some PutItem calls with DynamoDB's own throttling
 * and 5xx error documents, so the real SDK parses them into the exceptions the job must retry;
 * `fatalFirst` answers the first puts with a ValidationException, which fails the task at once;
 * `fatalAfter` every put after that many (a job that stops part-way through its writes).
 */
final class FaultProxy(target: URI, throttleEvery: Int, errorEvery: Int, denyPuts: Boolean = false, fatalFirst: Int = 0, fatalAfter: Int = Int.MaxValue) extends AutoCloseable {
  private val puts = new AtomicInteger()
  /** PutItem requests received (answered or not). */
  def putsSeen: Int = puts.get()
  val throttled = new AtomicInteger()
  val failed = new AtomicInteger()
  private val client = HttpClient.newHttpClient()
  private val server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64)
  private val restricted = Set("connection", "content-length", "expect", "host", "upgrade")

  server.setExecutor(Executors.newFixedThreadPool(16))
  server.createContext(
    "/",
    (ex: HttpExchange) =>
      try {
        val body = ex.getRequestBody.readAllBytes()
        val isPut = Option(ex.getRequestHeaders.getFirst("X-Amz-Target")).exists(_.endsWith(".PutItem"))
        val n = if (isPut) puts.incrementAndGet() else 0
        if (isPut && (n <= fatalFirst || n > fatalAfter))
          reply(ex, 400, """{"__type":"com.amazon.coral.validate#ValidationException","message":"injected: a failure no retry of the put can fix"}""")
        else if (isPut && denyPuts)
          reply(ex, 400, """{"__type":"com.amazon.coral.service#AccessDeniedException","message":"not authorized to perform dynamodb:PutItem"}""")
        else if (isPut && n % throttleEvery == 0) {
          throttled.incrementAndGet()
          reply(ex, 400, """{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow down"}""")
        } else if (isPut && n % errorEvery == 0) {
          failed.incrementAndGet()
          reply(ex, 500, """{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"boom"}""")
        } else {
          val b = HttpRequest.newBuilder(target.resolve(ex.getRequestURI)).method(ex.getRequestMethod, HttpRequest.BodyPublishers.ofByteArray(body))
          ex.getRequestHeaders.asScala.foreach { case (k, vs) => if (!restricted(k.toLowerCase)) vs.asScala.foreach(b.header(k, _)) }
          val r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray())
          r.headers().map().asScala.foreach { case (k, vs) =>
            if (!restricted(k.toLowerCase) && k != ":status") vs.asScala.foreach(ex.getResponseHeaders.add(k, _))
          }
          ex.sendResponseHeaders(r.statusCode(), r.body().length.toLong)
          ex.getResponseBody.write(r.body())
        }
      } finally ex.close()
  )
  server.start()

  private def reply(ex: HttpExchange, status: Int, json: String): Unit = {
    val bytes = json.getBytes("UTF-8")
    ex.getResponseHeaders.add("Content-Type", "application/x-amz-json-1.0")
    ex.sendResponseHeaders(status, bytes.length.toLong)
    ex.getResponseBody.write(bytes)
  }

  val endpoint: URI = new URI(s"http://127.0.0.1:${server.getAddress.getPort}")

  def close(): Unit = server.stop(0)
}

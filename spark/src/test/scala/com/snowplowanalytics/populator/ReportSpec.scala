package com.snowplowanalytics.populator

import java.time.Instant

import org.json4s._
import org.json4s.jackson.JsonMethods
import org.scalatest.funsuite.AnyFunSuite

/** summary.json as the CLI reads it (status, verify): pure rendering, no Spark. */
class ReportSpec extends AnyFunSuite {
  private implicit val formats: Formats = DefaultFormats

  private def summary(runEtlTimes: Map[String, Long]) = Summary(
    archive = "file:/archive/",
    table = "manifest",
    region = "us-east-1",
    etlTimeMode = "run",
    since = None,
    until = None,
    ttlSeconds = 15552000L,
    skipExpired = false,
    writeRate = 100,
    writerTasks = 2,
    writerExecutors = 1,
    writePartitions = 2,
    runsSelected = Seq("2017-01-01-00-00-00", "2017-01-02-00-00-00", "2017-01-03-00-00-00"),
    runsExcluded = 0,
    ignoredPaths = Nil,
    filesRead = 3,
    bytesRead = 1000,
    uniqueKeys = 5,
    runEtlTimes = runEtlTimes,
    unreadableFiles = Nil,
    counters = Counters(5, 0, 0, 0, 0, 5, 0, 0),
    badByReason = Map.empty,
    throttledRetries = 0,
    otherRetries = 0,
    longestWaitSeconds = 0.0,
    startedAt = Instant.parse("2017-01-04T00:00:00Z"),
    finishedAt = Instant.parse("2017-01-04T00:01:00Z")
  )

  test("runEtlTimes: each run with a valid line and its etlTime in epoch seconds, sorted by run id") {
    val json = Report.summaryJson(summary(Map("2017-01-02-00-00-00" -> 1483316400L, "2017-01-01-00-00-00" -> 1483229160L)))
    val runEtlTimes = JsonMethods.parse(json) \ "runEtlTimes"
    assert(runEtlTimes.extract[Map[String, Long]] == Map("2017-01-01-00-00-00" -> 1483229160L, "2017-01-02-00-00-00" -> 1483316400L))
    // A run without any valid line has no etlTime: it is left out, never written as 0 or null.
    assert(runEtlTimes \ "2017-01-03-00-00-00" == JNothing)
    assert(json.indexOf("2017-01-01-00-00-00\" : 1483229160") < json.indexOf("2017-01-02-00-00-00\" : 1483316400"))
  }

  test("runEtlTimes is an empty object when no run has a valid line") {
    assert(JsonMethods.parse(Report.summaryJson(summary(Map.empty))) \ "runEtlTimes" == JObject())
  }
}

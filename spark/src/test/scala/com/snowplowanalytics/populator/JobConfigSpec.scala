package com.snowplowanalytics.populator

import java.net.URI

import org.scalatest.funsuite.AnyFunSuite

import com.snowplowanalytics.populator.generated.Contract
import com.snowplowanalytics.populator.generated.Contract.Args

class JobConfigSpec extends AnyFunSuite {
  private val base = Seq(Args.archive, "s3://b/archive", Args.output, "s3://b/out", Args.table, "manifest", Args.region, "eu-west-1")

  test("required arguments and defaults from the contract") {
    val c = JobConfig.parse(base).toOption.get
    assert(c.archive == "s3://b/archive" && c.output == "s3://b/out" && c.table == "manifest" && c.region == "eu-west-1")
    assert(c.etlTimeMode == EtlTimeMode.Run && c.ttlSeconds == Contract.DefaultTtlSeconds)
    assert(c.maxInFlight == Contract.DefaultMaxInFlightPerTask && c.writeRate.isEmpty && !c.skipExpired && c.now.isEmpty)
    assert(c.since.isEmpty && c.until.isEmpty && c.dynamodbEndpoint.isEmpty)
  }

  test("every optional argument") {
    val c = JobConfig
      .parse(
        base ++ Seq(
          Args.dynamodbEndpoint, "http://127.0.0.1:8000", Args.since, "2017-01-01", Args.until, "2017-02-01-12-00-00",
          Args.etlTime, "event", Args.ttlSeconds, "60", Args.writeRate, "500", Args.maxInFlight, "8", Args.skipExpired, "true",
          Args.now, "1500000000"
        )
      )
      .toOption
      .get
    assert(c.dynamodbEndpoint.contains(new URI("http://127.0.0.1:8000")))
    assert(c.since.contains("2017-01-01-00-00-00") && c.until.contains("2017-02-01-12-00-00"))
    assert(c.etlTimeMode == EtlTimeMode.Event && c.ttlSeconds == 60 && c.writeRate.contains(500) && c.maxInFlight == 8)
    assert(c.skipExpired && c.now.contains(1500000000L))
  }

  test("usage errors name the argument") {
    def err(args: Seq[String]): String = JobConfig.parse(args).left.toOption.get
    assert(err(base.drop(2)).contains(Args.archive))
    assert(err(base :+ "--bogus").contains("--bogus"))
    assert(err(base ++ Seq(Args.etlTime, "batch")).contains(Args.etlTime))
    assert(err(base ++ Seq(Args.since, "2017/01/01")).contains(Args.since))
    assert(err(base ++ Seq(Args.since, "2017-02-01", Args.until, "2017-01-01")).contains(Args.until))
    assert(err(base ++ Seq(Args.writeRate, "0")).contains(Args.writeRate))
    assert(err(base ++ Seq(Args.ttlSeconds, "x")).contains(Args.ttlSeconds))
    assert(err(base ++ Seq(Args.skipExpired, "yes")).contains(Args.skipExpired))
    assert(err(base ++ Seq(Args.dynamodbEndpoint, "localhost:8000")).contains(Args.dynamodbEndpoint))
    assert(err(base ++ Seq(Args.region)).contains(Args.region))
    assert(err(base ++ Seq(Args.now, "-1")).contains(Args.now))
  }
}

package com.snowplowanalytics.populator

import java.net.URI

import org.scalatest.funsuite.AnyFunSuite

import com.snowplowanalytics.populator.generated.Contract
import com.snowplowanalytics.populator.generated.Contract.Args

class JobConfigSpec extends AnyFunSuite {
  private val base =
    Seq(Args.archive, "s3://b/archive", Args.output, "s3://b/out", Args.table, "manifest", Args.region, "eu-west-1", Args.writeRate, "800")

  test("required arguments and defaults from the contract") {
    val c = JobConfig.parse(base, _ => None).toOption.get
    assert(c.archive == "s3://b/archive" && c.output == "s3://b/out" && c.table == "manifest" && c.region == "eu-west-1")
    assert(c.etlTimeMode == EtlTimeMode.Run && c.ttlSeconds == Contract.DefaultTtlSeconds)
    assert(c.maxInFlight == Contract.DefaultMaxInFlightPerTask && c.writeRate == 800 && !c.skipExpired && c.now.isEmpty)
    assert(c.since.isEmpty && c.until.isEmpty && c.dynamodbEndpoint.isEmpty)
  }

  test("every optional argument") {
    val c = JobConfig
      .parse(
        base ++ Seq(
          Args.dynamodbEndpoint, "http://127.0.0.1:8000", Args.since, "2017-01-01", Args.until, "2017-02-01-12-00-00",
          Args.etlTime, "event", Args.ttlSeconds, "60", Args.maxInFlight, "8", Args.skipExpired, "true",
          Args.now, "1500000000"
        )
      )
      .toOption
      .get
    assert(c.dynamodbEndpoint.contains(new URI("http://127.0.0.1:8000")))
    assert(c.since.contains("2017-01-01-00-00-00") && c.until.contains("2017-02-01-12-00-00"))
    assert(c.etlTimeMode == EtlTimeMode.Event && c.ttlSeconds == 60 && c.writeRate == 800 && c.maxInFlight == 8)
    assert(c.skipExpired && c.now.contains(1500000000L))
  }

  test("--write-rate is required: the CLI derives the default from the table, the job never guesses one") {
    val e = JobConfig.parse(base.filterNot(Set(Args.writeRate, "800"))).left.toOption
    assert(e.exists(m => m.contains(s"missing required argument ${Args.writeRate}") && m.contains("WCU/s")), e)
  }

  test("usage errors name the argument") {
    def err(args: Seq[String]): String = JobConfig.parse(args).left.toOption.get
    assert(err(base.drop(2)).contains(Args.archive))
    assert(err(base :+ "--bogus").contains("--bogus"))
    assert(err(base ++ Seq(Args.etlTime, "batch")).contains(Args.etlTime))
    assert(err(base ++ Seq(Args.since, "2017/01/01")).contains(Args.since))
    assert(err(base ++ Seq(Args.since, "2017-02-01", Args.until, "2017-01-01")).contains(Args.until))
    assert(err(base.dropRight(2) ++ Seq(Args.writeRate, "0")).contains(Args.writeRate))
    assert(err(base ++ Seq(Args.ttlSeconds, "x")).contains(Args.ttlSeconds))
    assert(err(base ++ Seq(Args.skipExpired, "yes")).contains(Args.skipExpired))
    assert(err(base ++ Seq(Args.dynamodbEndpoint, "localhost:8000")).contains(Args.dynamodbEndpoint))
    assert(err(base ++ Seq(Args.region)).contains(Args.region))
    assert(err(base ++ Seq(Args.now, "-1")).contains(Args.now))
  }

  test("a file: URI is decoded to the path it names; plain paths and s3:// are kept as written") {
    assert(JobConfig.plainPath("file:///data/arch%20ive%20%231%20%C3%BC/") == "/data/arch ive #1 ü/")
    assert(JobConfig.plainPath("file:/data/a%20b") == "/data/a b")
    assert(JobConfig.plainPath("file://localhost/data/x") == "/data/x")
    assert(JobConfig.plainPath("/data/a%20b") == "/data/a%20b") // a folder literally called a%20b
    assert(JobConfig.plainPath("/data/a b #c") == "/data/a b #c")
    assert(JobConfig.plainPath("s3://bucket/a%20b/") == "s3://bucket/a%20b/")
    assert(JobConfig.plainPath("file:/data/a b") == "file:/data/a b") // not a URI: Hadoop's own form, kept
    val c = JobConfig.parse(base.updated(1, "file:///data/a%20b").updated(3, "file:///out/r%231")).toOption.get
    assert(c.archive == "/data/a b" && c.output == "/out/r#1")
  }

  test("without --dynamodb-endpoint the driver's endpoint variables are read once, so the executors get the same endpoint") {
    val env = Map("AWS_ENDPOINT_URL" -> "http://127.0.0.1:9", "AWS_ENDPOINT_URL_DYNAMODB" -> " http://127.0.0.1:8000 ")
    assert(JobConfig.parse(base, env.get).toOption.get.dynamodbEndpoint.contains(new URI("http://127.0.0.1:8000")))
    assert(JobConfig.parse(base, (env - "AWS_ENDPOINT_URL_DYNAMODB").get).toOption.get.dynamodbEndpoint.contains(new URI("http://127.0.0.1:9")))
    // The argument wins over the environment.
    assert(JobConfig.parse(base ++ Seq(Args.dynamodbEndpoint, "http://127.0.0.1:7"), env.get).toOption.get.dynamodbEndpoint.contains(new URI("http://127.0.0.1:7")))
    assert(JobConfig.parse(base, Map("AWS_ENDPOINT_URL_DYNAMODB" -> "localhost:8000").get).left.toOption.get.contains("AWS_ENDPOINT_URL_DYNAMODB"))
  }
}

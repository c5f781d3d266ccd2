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

  private val importBase = base.filterNot(Set(Args.writeRate, "800")) ++ Seq(Args.importTo, "s3://b/out/import/")

  test("--import-to: an s3://, s3a:// or local folder; --write-rate optional; put runs have none") {
    val c = JobConfig.parse(importBase, _ => None).toOption.get
    assert(c.importTo.contains("s3://b/out/import/") && c.writeRate == 0 && c.importItemsPerObject == Contract.ImportItemsPerObject)
    assert(JobConfig.parse(importBase ++ Seq(Args.writeRate, "500"), _ => None).toOption.get.writeRate == 500)
    assert(JobConfig.parse(importBase.updated(importBase.size - 1, "s3a://b/imports/run-1/"), _ => None).toOption.get.importTo.contains("s3a://b/imports/run-1/"))
    assert(JobConfig.parse(importBase.updated(importBase.size - 1, "file:///tmp/a%20b/import/"), _ => None).toOption.get.importTo.contains("/tmp/a b/import/"))
    assert(JobConfig.parse(base, _ => None).toOption.get.importTo.isEmpty)
  }

  test("--import-to refuses a resume, --skip-present true, a folder holding the output or the archive, a root, a file, other schemes") {
    def err(args: Seq[String]): String = JobConfig.parse(args, _ => None).left.toOption.getOrElse(fail(s"accepted: $args"))
    def withFolder(f: String) = importBase.updated(importBase.size - 1, f)
    assert(err(importBase ++ Seq(Args.resumeFrom, "s3://b/old")).contains(s"${Args.resumeFrom} cannot be used with ${Args.importTo}"))
    assert(err(importBase ++ Seq(Args.skipPresent, "true")).contains(s"${Args.skipPresent} true cannot be used with ${Args.importTo}"))
    assert(JobConfig.parse(importBase ++ Seq(Args.skipPresent, "false"), _ => None).isRight)
    assert(err(withFolder("s3://b/out/")).contains("holds the job's --output"))
    assert(err(withFolder("s3a://b/out/")).contains("holds the job's --output")) // s3a:// and s3:// name the same objects
    assert(err(withFolder("s3://b/")).contains("root"))
    assert(err(withFolder("s3://b/archive/")).contains("holds the archive"))
    assert(err(withFolder("s3://b/out/import")).contains("trailing '/'"))
    assert(err(withFolder("hdfs://nn/import/")).contains("s3://, s3a:// or local folder"))
    assert(err(withFolder("/")).contains("root"))
    val local = base.updated(3, "/tmp/runs/r1").filterNot(Set(Args.writeRate, "800")) ++ Seq(Args.importTo, "/tmp/runs/")
    assert(err(local).contains("holds the job's --output"))
    // Inside the output folder is where the CLI puts it: fine.
    assert(JobConfig.parse(local.dropRight(1) :+ "/tmp/runs/r1/import/", _ => None).isRight)
    // Puts still need --write-rate.
    assert(err(base.filterNot(Set(Args.writeRate, "800"))).contains(s"missing required argument ${Args.writeRate}"))
  }
}

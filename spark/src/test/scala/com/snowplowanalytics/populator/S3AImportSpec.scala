package com.snowplowanalytics.populator

import java.io.{ByteArrayOutputStream, PrintStream}
import java.net.{HttpURLConnection, URI}
import java.nio.charset.StandardCharsets
import java.util.concurrent.TimeUnit

import org.json4s._
import org.json4s.jackson.JsonMethods
import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite

import com.snowplowanalytics.populator.generated.Contract
import com.snowplowanalytics.populator.generated.Contract.Args

/**
 * Import files written through S3A to moto's S3 server (`python3 -m moto.server`), checked with
 * moto's own object listing: ImportTable reads every object under the prefix, so what counts is
 * the bucket's keys, not what a file system view shows. Needs S3A on the classpath (`mvn -P
 * local-s3`) and moto installed; without them the test is ignored (scripts/test-all.ts counts a
 * cancelled test as failed, and the default build has no S3A).
 */
class S3AImportSpec extends AnyFunSuite with BeforeAndAfterAll {
  import Files2._
  import Lines._

  private implicit val formats: Formats = DefaultFormats
  private var moto: Process = _
  private var endpoint: String = _
  private val bucket = "staging"

  private def s3aPresent: Boolean = scala.util.Try(Class.forName("org.apache.hadoop.fs.s3a.S3AFileSystem")).isSuccess

  private def motoPresent: Boolean =
    scala.util.Try(new ProcessBuilder("python3", "-c", "import moto.server").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor() == 0)
      .getOrElse(false)

  /** Why the test cannot run here, if it cannot. */
  private val missing: Option[String] =
    if (!s3aPresent) Some("S3A is not on the classpath: run with -P local-s3")
    else if (!motoPresent) Some("moto's server is not installed: python3 -m pip install 'moto[server]'")
    else None

  override def beforeAll(): Unit = if (missing.isEmpty) {
    val port = { val s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress); try s.getLocalPort finally s.close() }
    val started = scala.util.Try(new ProcessBuilder("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", port.toString).redirectErrorStream(true)
      .redirectOutput(ProcessBuilder.Redirect.DISCARD).start())
    started.foreach { p =>
      endpoint = s"http://127.0.0.1:$port"
      val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30)
      while (p.isAlive && System.nanoTime() < deadline && scala.util.Try(http("GET", "/")).isFailure) Thread.sleep(200)
      if (p.isAlive && scala.util.Try(http("GET", "/")).isSuccess) moto = p else p.destroy()
    }
  }

  override def afterAll(): Unit = if (moto != null) { moto.destroy(); moto.waitFor(10, TimeUnit.SECONDS); () }

  /** An unsigned request to moto (it accepts them): status and body. */
  private def http(method: String, path: String, body: Array[Byte] = null): (Int, Array[Byte]) = {
    val c = new URI(endpoint + path).toURL.openConnection().asInstanceOf[HttpURLConnection]
    c.setRequestMethod(method)
    c.setConnectTimeout(2000)
    if (body != null) { c.setDoOutput(true); c.getOutputStream.write(body); c.getOutputStream.close() }
    val code = c.getResponseCode
    val in = if (code >= 400) c.getErrorStream else c.getInputStream
    val out = new ByteArrayOutputStream()
    if (in != null) try in.transferTo(out) finally in.close()
    (code, out.toByteArray)
  }

  /** Every key of the bucket under `prefix`, as moto lists them (markers included). */
  private def keys(prefix: String): Vector[String] = {
    val (code, body) = http("GET", s"/$bucket?list-type=2&prefix=$prefix")
    assert(code == 200, new String(body, StandardCharsets.UTF_8))
    "<Key>([^<]*)</Key>".r.findAllMatchIn(new String(body, StandardCharsets.UTF_8)).map(_.group(1)).toVector.sorted
  }

  private def s3aConfigure(): Unit = {
    val h = TestSpark.session.sparkContext.hadoopConfiguration
    Seq(
      "fs.s3a.impl" -> "org.apache.hadoop.fs.s3a.S3AFileSystem",
      "fs.s3a.endpoint" -> endpoint,
      "fs.s3a.endpoint.region" -> "us-east-1",
      "fs.s3a.path.style.access" -> "true",
      "fs.s3a.connection.ssl.enabled" -> "false",
      "fs.s3a.access.key" -> "dummy",
      "fs.s3a.secret.key" -> "dummy",
      "fs.s3a.aws.credentials.provider" -> "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
      "fs.s3a.attempts.maximum" -> "2",
      "fs.s3a.retry.limit" -> "2"
    ).foreach { case (k, v) => h.set(k, v) }
  }

  private val name = "through S3A: the bucket holds only part-NNNNN.json.gz under the prefix, an earlier attempt's files replaced, the items exact"
  missing.fold(test(name)(s3aImport()))(why => ignore(s"$name ($why)")(()))

  private def s3aImport(): Unit = {
    assert(moto != null, "moto's server did not start")
    s3aConfigure()
    assert(http("PUT", s"/$bucket")._1 == 200)
    // An earlier attempt's file that this run's object count does not overwrite.
    assert(http("PUT", s"/$bucket/runs/r1/import/part-00007.json.gz", Array[Byte](1, 2, 3))._1 == 200)

    val dir = temp("s3a-archive")
    val ks = (1 to 500).map(i => (uuid(70000 + i), s"fp$i"))
    write(dir.resolve("run=2017-01-01-00-00-00/part-00000.gz"), ks.map(k => enriched(k._1, "2017-01-01 00:10:00.000", k._2)) :+ "bad line", gzip = true)
    val output = temp("s3a-output")
    val err = new ByteArrayOutputStream()
    val args = Seq(
      Args.archive, dir.toString, Args.output, output.toString, Args.table, "to-import", Args.region, "us-east-1",
      Args.dynamodbEndpoint, "http://127.0.0.1:9", Args.importTo, s"s3a://$bucket/runs/r1/import/"
    )
    val code = Main.run(args, Some(TestSpark.session), new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, "UTF-8"))
    assert(code == Contract.Exit.ok, err.toString("UTF-8"))

    // Nothing else under the import prefix, no marker (`runs/r1/import/`) either, and no temporary file
    // left beside it. S3A on Hadoop 3.4 (Spark 4.0) leaves a marker for the parent `runs/r1/` when the
    // earlier attempt's folder is deleted: outside ImportTable's prefix, and only a marker is allowed there.
    val all = keys("runs/r1/")
    val listed = all.filter(_.startsWith("runs/r1/import"))
    assert(listed == Vector("runs/r1/import/part-00000.json.gz", "runs/r1/import/part-00001.json.gz"), all)
    assert(all.diff(listed).forall(_ == "runs/r1/"), all)
    // Objects are private to the writer: read them signed, through S3A.
    val objects = listed.map { k =>
      val path = new org.apache.hadoop.fs.Path(s"s3a://$bucket/$k")
      val in = path.getFileSystem(TestSpark.session.sparkContext.hadoopConfiguration).open(path)
      val out = new ByteArrayOutputStream()
      try in.transferTo(out) finally in.close()
      out.toByteArray
    }
    val lines = objects.flatMap(o => new String(ImportFolder.gunzip(o), StandardCharsets.UTF_8).split("\n").toVector)
    val items = lines.map(ImportFolder.item)
    val etl = epoch("2017-01-01 00:10:00")
    assert(items.map(i => (i(Contract.AttrEventId).s(), i(Contract.AttrFingerprint).s())).toSet == ks.toSet && items.size == ks.size)
    assert(items.forall(i => i(Contract.AttrEtlTime).n().toLong == etl && i(Contract.AttrTtl).n().toLong == etl + Contract.DefaultTtlSeconds))

    val summary = JsonMethods.parse(read(output.resolve(Contract.Output.summary).toFile))
    assert((summary \ "import" \ "folder").extract[String] == s"s3a://$bucket/runs/r1/import/")
    assert((summary \ "import" \ "objects").extract[Int] == 2 && (summary \ "import" \ "items").extract[Long] == ks.size)
    assert((summary \ "import" \ "compressedBytes").extract[Long] == objects.map(_.length.toLong).sum)
    assert((summary \ "import" \ "bytes").extract[Long] == objects.map(o => ImportFolder.gunzip(o).length.toLong).sum)
    assert((summary \ "counters" \ "written").extract[Long] == ks.size && (summary \ "counters" \ "bad").extract[Long] == 1)
  }
}

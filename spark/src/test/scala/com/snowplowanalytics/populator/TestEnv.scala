package com.snowplowanalytics.populator

import java.io.{BufferedReader, File, InputStreamReader}
import java.net.URI
import java.nio.charset.StandardCharsets
import java.util.concurrent.TimeUnit

import scala.jdk.CollectionConverters._

import org.apache.spark.sql.SparkSession
import software.amazon.awssdk.auth.credentials.{AwsBasicCredentials, StaticCredentialsProvider}
import software.amazon.awssdk.regions.Region
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient
import software.amazon.awssdk.services.dynamodb.model._

import com.snowplowanalytics.populator.generated.Contract

/**
 * One local SparkSession per test JVM. `local[2,4]`: up to 4 attempts per task, as the CLI's
 * default master `local[*,4]` (plain `local[N]` gives a task a single attempt).
 */
object TestSpark {
  lazy val session: SparkSession = SparkSession
    .builder()
    .master("local[2,4]")
    .appName("populator-tests")
    .config("spark.ui.enabled", "false")
    .config("spark.driver.host", "127.0.0.1")
    .config("spark.driver.bindAddress", "127.0.0.1")
    .config("spark.sql.shuffle.partitions", "2")
    .config(KryoSetup.configure(new org.apache.spark.SparkConf(false)))
    .getOrCreate()
}

/** dynalite as a child process on a free port of 127.0.0.1, for the whole test JVM. */
object Dynalite {
  val region = "us-east-1"

  // The job only uses the default credential chain: its first link is these system properties.
  System.setProperty("aws.accessKeyId", "dummy")
  System.setProperty("aws.secretAccessKey", "dummy")

  private lazy val (process, port) = {
    val module = new File("../node_modules/dynalite").getCanonicalPath.replace("\\", "/")
    val script = s"const d=require('$module')({createTableMs:0});d.listen(0,'127.0.0.1',()=>console.log(d.address().port))"
    val p = new ProcessBuilder("node", "-e", script).redirectError(ProcessBuilder.Redirect.INHERIT).start()
    sys.addShutdownHook(p.destroy())
    val line = new BufferedReader(new InputStreamReader(p.getInputStream, StandardCharsets.UTF_8)).readLine()
    require(line != null && line.trim.forall(_.isDigit), s"dynalite did not start: $line")
    (p, line.trim.toInt)
  }

  lazy val endpoint: URI = { require(process.isAlive); new URI(s"http://127.0.0.1:$port") }

  lazy val client: DynamoDbAsyncClient = DynamoDbAsyncClient
    .builder()
    .region(Region.of(region))
    .endpointOverride(endpoint)
    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("dummy", "dummy")))
    .build()

  def createTable(name: String, keys: Seq[(String, KeyType)] = Seq(Contract.AttrEventId -> KeyType.HASH, Contract.AttrFingerprint -> KeyType.RANGE)): Unit = {
    client
      .createTable(
        CreateTableRequest
          .builder()
          .tableName(name)
          .keySchema(keys.map { case (n, t) => KeySchemaElement.builder().attributeName(n).keyType(t).build() }.asJava)
          .attributeDefinitions(keys.map { case (n, _) => AttributeDefinition.builder().attributeName(n).attributeType(ScalarAttributeType.S).build() }.asJava)
          .provisionedThroughput(ProvisionedThroughput.builder().readCapacityUnits(100L).writeCapacityUnits(1000L).build())
          .build()
      )
      .get(30, TimeUnit.SECONDS)
    // dynalite answers CreateTable with CREATING and turns the table ACTIVE on a later tick: a put
    // before that is ResourceNotFound (seen on a loaded machine).
    val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30)
    while (client.describeTable(DescribeTableRequest.builder().tableName(name).build()).get(30, TimeUnit.SECONDS).table().tableStatus() != TableStatus.ACTIVE) {
      require(System.nanoTime() < deadline, s"table $name did not become ACTIVE in 30 s")
      Thread.sleep(10)
    }
  }

  def put(table: String, item: Map[String, AttributeValue]): Unit = {
    client.putItem(PutItemRequest.builder().tableName(table).item(item.asJava).build()).get(30, TimeUnit.SECONDS)
    ()
  }

  /** Every item of the table, keyed by (eventId, fingerprint). */
  def scan(table: String): Map[(String, String), Map[String, AttributeValue]] = {
    var out = Map.empty[(String, String), Map[String, AttributeValue]]
    var start: java.util.Map[String, AttributeValue] = null
    do {
      val b = ScanRequest.builder().tableName(table)
      if (start != null) b.exclusiveStartKey(start)
      val r = client.scan(b.build()).get(30, TimeUnit.SECONDS)
      r.items().asScala.foreach { i =>
        val m = i.asScala.toMap
        out += (m(Contract.AttrEventId).s(), m(Contract.AttrFingerprint).s()) -> m
      }
      start = if (r.hasLastEvaluatedKey && !r.lastEvaluatedKey().isEmpty) r.lastEvaluatedKey() else null
    } while (start != null)
    out
  }
}

package com.snowplowanalytics.populator

import java.util.Properties

import org.scalatest.funsuite.AnyFunSuite

/**
 * The jar's `populator-job.properties` (what the CLI reads to match a jar with an EMR release) must
 * name the Spark and Scala this build really compiles and runs against, on either build.
 */
class BuildInfoSpec extends AnyFunSuite {

  private lazy val props: Properties = {
    val in = getClass.getResourceAsStream("/populator-job.properties")
    assert(in != null, "populator-job.properties is not on the classpath")
    val p = new Properties()
    try p.load(in) finally in.close()
    p
  }

  test("populator-job.properties names the Spark and Scala of this build") {
    val scalaVersion = scala.util.Properties.versionNumberString
    assert(props.getProperty("spark.version") == org.apache.spark.SPARK_VERSION)
    assert(org.apache.spark.SPARK_VERSION.startsWith(props.getProperty("spark.family") + "."))
    assert(props.getProperty("scala.version") == scalaVersion)
    assert(props.getProperty("scala.binary.version") == scalaVersion.split('.').take(2).mkString("."))
    assert(props.getProperty("version").matches("""\d+\.\d+\.\d+.*"""))
  }
}

package com.snowplowanalytics.populator

import java.io.PrintStream

import org.apache.spark.SparkConf
import org.apache.spark.sql.SparkSession

import com.snowplowanalytics.populator.generated.Contract

/** Entry point: arguments -> [[JobConfig]], run [[Job]], outcome -> exit code (Contract.Exit). */
object Main {

  def main(args: Array[String]): Unit = {
    val code = run(args.toIndexedSeq, None, System.out, System.err)
    // Exit explicitly only on failure: a normal return lets cluster launchers record success.
    if (code != Contract.Exit.ok) sys.exit(code)
  }

  /**
   * Runs the job without calling System.exit. With `session` the caller owns the SparkSession (tests);
   * without, one is built (master from spark-submit / -Dspark.master) and stopped at the end.
   */
  def run(args: Seq[String], session: Option[SparkSession], out: PrintStream, err: PrintStream): Int =
    JobConfig.parse(args) match {
      case Left(problem) =>
        err.println(s"populator: $problem")
        err.println(JobConfig.usage)
        Contract.Exit.usage
      case Right(config) =>
        var spark: SparkSession = null
        try {
          spark = session.getOrElse(buildSession())
          val summary = Job.run(spark, config, msg => err.println(s"populator: $msg"))
          out.println(Report.humanLine(summary))
          Contract.Exit.ok
        } catch {
          case e: Throwable =>
            inputError(e) match {
              case Some(ie) =>
                err.println(s"populator: ${ie.getMessage}")
                Contract.Exit.input
              case None =>
                err.println(s"populator: job failed: ${describe(e)}")
                e.printStackTrace(err)
                Contract.Exit.failed
            }
        } finally if (session.isEmpty) {
          if (spark != null) spark.stop()
          ManifestWriter.closeAll()
        }
    }

  private def buildSession(): SparkSession = {
    val conf = new SparkConf().setAppName("populator")
    // Kryo with the job's classes registered: the shuffle's records without class names.
    KryoSetup.configure(conf)
    // Sees every executor from the first: the write budget is split over them by their cores.
    ExecutorRegistry.addTo(conf)
    SparkSession.builder().config(conf).getOrCreate()
  }

  private def causes(e: Throwable): Iterator[Throwable] = Iterator.iterate(e)(_.getCause).takeWhile(_ != null).take(20)

  /** The user-fixable error inside `e`, also when it failed a Spark task. */
  def inputError(e: Throwable): Option[InputError] = causes(e).collectFirst { case ie: InputError => ie }

  /** The most telling message of a failure: ours if any, else the root cause's. */
  def describe(e: Throwable): String =
    causes(e).collectFirst { case x @ (_: InputError | _: ManifestWriteException) => x.getMessage }
      .getOrElse {
        val root = causes(e).toList.last
        s"${root.getClass.getSimpleName}: ${root.getMessage}"
      }
}

package com.snowplowanalytics.populator.bench

import java.util.concurrent.atomic.AtomicLong

import org.apache.hadoop.conf.Configuration
import org.apache.spark.SparkConf
import org.apache.spark.scheduler.{SparkListener, SparkListenerTaskEnd}
import org.apache.spark.sql.SparkSession

import com.snowplowanalytics.populator._

/**
 * Shuffle bytes per record of the job's one shuffle (read + classify + dedupe: the same
 * readPartition and merge as ReadStage) under three serializers, one local SparkSession each:
 * Java serialization, Kryo without registration (the job before), Kryo with the job's
 * registrator (now). Driven by bench/shuffle.ts.
 *
 * Usage: ShuffleBench <archive dir> <java|kryo|kryo-registered> <rounds> [compressed|raw]; one JSON
 * line per round.
 */
object ShuffleBench {
  def main(args: Array[String]): Unit = {
    val archive = args(0)
    val mode = args(1)
    val rounds = args.lift(2).map(_.toInt).getOrElse(2)
    val compress = args.lift(3).forall(_ == "compressed")
    val conf = new SparkConf(false)
      .setMaster("local[2]")
      .setAppName("shuffle-bench")
      .set("spark.ui.enabled", "false")
      .set("spark.driver.host", "127.0.0.1")
      .set("spark.driver.bindAddress", "127.0.0.1")
      .set("spark.shuffle.compress", compress.toString)
    mode match {
      case "java"            => conf.set("spark.serializer", "org.apache.spark.serializer.JavaSerializer")
      case "kryo"            => conf.set("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
      case "kryo-registered" => KryoSetup.configure(conf)
      case other             => throw new IllegalArgumentException(other)
    }
    val spark = SparkSession.builder().config(conf).getOrCreate()
    val sc = spark.sparkContext
    val bytes, records, remoteRead = new AtomicLong()
    sc.addSparkListener(new SparkListener {
      override def onTaskEnd(e: SparkListenerTaskEnd): Unit = Option(e.taskMetrics).foreach { m =>
        bytes.addAndGet(m.shuffleWriteMetrics.bytesWritten)
        records.addAndGet(m.shuffleWriteMetrics.recordsWritten)
        remoteRead.addAndGet(m.shuffleReadMetrics.totalBytesRead)
      }
    })
    try {
      val hconf = new Configuration(sc.hadoopConfiguration)
      ArchiveReader.registerCodecs(hconf)
      val listing = ArchiveReader.listRuns(archive, hconf)
      val files = listing.runs.flatMap { case (id, p) => ArchiveReader.listFiles(id, p, hconf) }
      val runIndex = listing.runs.map(_._1).zipWithIndex.toMap
      val bins = ArchiveReader.pack(files, 4)
      val confB = sc.broadcast(new SerializableConfiguration(hconf))
      val out = java.nio.file.Files.createTempDirectory("shuffle-bench").toUri.toString
      for (round <- 1 to rounds) {
        bytes.set(0); records.set(0)
        val t0 = System.nanoTime()
        val keys = sc
          .parallelize(bins, bins.size)
          .mapPartitionsWithIndex((pid, groups) => groups.flatMap(g => ReadStage.readPartition(g, runIndex, EtlTimeMode.Run, confB.value.value, out, pid, () => ())))
          .reduceByKey(ReadStage.merge _, 4)
          .count()
        val seconds = (System.nanoTime() - t0) / 1e9
        // Task-end events arrive asynchronously: wait until the counts settle.
        var last = -1L
        while (last != bytes.get()) { last = bytes.get(); Thread.sleep(300) }
        println(s"""{"round":$round,"mode":"$mode","keys":$keys,"shuffleRecords":${records.get},"shuffleBytes":${bytes.get},"seconds":$seconds}""")
      }
    } finally spark.stop()
  }
}

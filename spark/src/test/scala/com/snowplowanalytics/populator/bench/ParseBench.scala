package com.snowplowanalytics.populator.bench

import org.apache.hadoop.conf.Configuration

import com.snowplowanalytics.populator.{ArchiveReader, Classified, Classify}

/**
 * The job's read + parse path on one core, without Spark around it: the same `ArchiveReader.Lines`
 * (Hadoop codecs, LineReader) and `Classify.classify` the read stage runs per line. Driven by
 * bench/parse-path.ts, which times `zcat | cut` on the same file in the same run.
 *
 * Usage: ParseBench <file> <rounds> <read|parse>; prints one JSON line per round.
 */
object ParseBench {
  def main(args: Array[String]): Unit = {
    val path = args(0)
    val rounds = args.lift(1).map(_.toInt).getOrElse(3)
    val parse = args.lift(2).forall(_ == "parse")
    val conf = new Configuration()
    ArchiveReader.registerCodecs(conf)
    for (round <- 1 to rounds) {
      val started = System.nanoTime()
      val lines = new ArchiveReader.Lines(path, conf)
      var n, valid = 0L
      try
        while (lines.hasNext) {
          val line = lines.next()
          n += 1
          if (parse) Classify.classify(line) match {
            case _: Classified.Valid => valid += 1
            case _                   => ()
          }
        }
      finally lines.close()
      val seconds = (System.nanoTime() - started) / 1e9
      println(s"""{"round":$round,"mode":"${if (parse) "parse" else "read"}","lines":$n,"valid":$valid,"seconds":$seconds}""")
    }
  }
}

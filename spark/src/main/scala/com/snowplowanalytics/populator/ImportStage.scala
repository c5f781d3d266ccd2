package com.snowplowanalytics.populator

import java.io.{FilterOutputStream, IOException, OutputStream}
import java.util.concurrent.Executors
import java.util.zip.GZIPOutputStream

import scala.concurrent.{Await, ExecutionContext, Future}
import scala.concurrent.duration.Duration

import com.fasterxml.jackson.core.{JsonEncoding, JsonFactory, JsonGenerator}
import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.{FileSystem, Path}
import org.apache.spark.TaskContext
import org.apache.spark.broadcast.Broadcast
import org.apache.spark.rdd.RDD

import com.snowplowanalytics.populator.generated.Contract

/** One import file written in the temporary folder: its items, uncompressed and compressed bytes. */
final case class ImportFile(path: String, items: Long, bytes: Long, compressedBytes: Long)

/**
 * What one import task did: the files it wrote in the temporary folder, in order (none when its
 * partition had no item to write), and the items it left out as expired. Collected to the driver,
 * which commits the files of the successful attempts only.
 */
final case class ImportPart(partition: Int, files: Vector[ImportFile], expired: Long)

/** summary.json's `import`: the objects in the import folder, their items and (un)compressed bytes. */
final case class ImportReport(folder: String, objects: Int, items: Long, bytes: Long, compressedBytes: Long)

/** What the import stage did: the report, the items left out as expired, the files planned (write tasks). */
final case class ImportResult(report: ImportReport, expired: Long, plannedObjects: Int)

/** An output stream that counts the bytes written through it. */
private final class CountingOutputStream(out: OutputStream) extends FilterOutputStream(out) {
  var count = 0L
  override def write(b: Int): Unit = { out.write(b); count += 1 }
  override def write(b: Array[Byte], off: Int, len: Int): Unit = { out.write(b, off, len); count += len }
}

/**
 * One import file: `{"Item":{...}}` per line, DynamoDB JSON written by Jackson (exact escaping
 * whatever the strings hold), gzip, with its items, uncompressed bytes (what ImportTable bills) and
 * compressed bytes counted as they are written.
 */
final class ImportFileOutput(path: Path, conf: Configuration) {
  private val fs: FileSystem = path.getFileSystem(conf)
  // A local file system would write a .crc file beside each object.
  fs.setWriteChecksum(false)
  private val compressed = new CountingOutputStream(fs.create(path, true))
  private val plain = new CountingOutputStream(new GZIPOutputStream(compressed, 64 * 1024))
  private val json: JsonGenerator = {
    val g = ImportFileOutput.factory.createGenerator(plain, JsonEncoding.UTF8)
    // One item per line, nothing between: the newline after each item is written explicitly.
    g.setRootValueSeparator(null)
    g
  }
  var items = 0L

  def write(item: ManifestItem): Unit = {
    json.writeStartObject()
    json.writeFieldName("Item")
    json.writeStartObject()
    attribute(Contract.AttrEventId, "S", item.eventId)
    attribute(Contract.AttrFingerprint, "S", item.fingerprint)
    attribute(Contract.AttrEtlTime, "N", item.etlTime.toString)
    attribute(Contract.AttrTtl, "N", item.ttl.toString)
    json.writeEndObject()
    json.writeEndObject()
    json.writeRaw('\n')
    items += 1
  }

  private def attribute(name: String, kind: String, value: String): Unit = {
    json.writeFieldName(name)
    json.writeStartObject()
    json.writeStringField(kind, value)
    json.writeEndObject()
  }

  /** Flushes and closes the file (gzip trailer included); the counts are final after this. */
  def close(): Unit = json.close()
  def bytes: Long = plain.count
  def compressedBytes: Long = compressed.count
}

object ImportFileOutput {
  private lazy val factory: JsonFactory = new JsonFactory()
}

/**
 * Writes one partition of deduplicated keys as import files in the temporary folder: each key's
 * item built by [[ManifestItem.of]] (the put path's function), expired ones counted and left out.
 * A file is opened at its first item (an empty partition writes none) and holds at most
 * `itemsPerObject` items (a bigger partition rolls over into more files); files are named by the
 * task attempt, so a failed or duplicate attempt never clobbers those of the one that succeeded.
 * Shipped to the executors in the task's closure; the Hadoop configuration comes in a broadcast.
 */
final class ImportPartitionWriter(
  temporary: String,
  itemsPerObject: Int,
  runMin: Broadcast[Map[Int, Long]],
  conf: Broadcast[SerializableConfiguration],
  mode: EtlTimeMode,
  ttlSeconds: Long,
  skipExpired: Boolean,
  now: Long,
  accs: WriteAccumulators
) extends Serializable {

  def apply(partition: Int, it: Iterator[(ShuffleKey, ShuffleValue)]): ImportPart = {
    val attempt = Option(TaskContext.get()).fold(0L)(_.taskAttemptId())
    val files = Vector.newBuilder[ImportFile]
    var out: ImportFileOutput = null
    var path: Path = null
    var n = 0
    def closeFile(): Unit = if (out != null) {
      out.close()
      files += ImportFile(path.toString, out.items, out.bytes, out.compressedBytes)
      out = null
    }
    var expired = 0L
    try {
      it.foreach {
        case (k: KeyOf, o: Occurrences) =>
          val item = ManifestItem.of(k, o, mode, runMin.value, ttlSeconds)
          if (ManifestItem.skipped(item, skipExpired, now)) { expired += 1; accs.expired.add(1) }
          else {
            if (out != null && out.items >= itemsPerObject) closeFile()
            if (out == null) {
              path = new Path(temporary, f"part-$partition%05d-$n%05d.attempt-$attempt.json.gz")
              n += 1
              out = new ImportFileOutput(path, conf.value.value)
            }
            out.write(item)
            accs.written.add(1)
          }
        case _ => () // the runs' statistics riding in the same shuffle
      }
      closeFile()
    } catch {
      case e: Throwable =>
        if (out != null) scala.util.Try(out.close())
        throw e
    }
    ImportPart(partition, files.result(), expired)
  }
}

/**
 * Import mode (issue 13): the deduplicated keys of [[ReadStage]] written as gzip DYNAMODB_JSON
 * objects for DynamoDB's ImportTable, instead of puts. The rows come in hash order (the read
 * stage's shuffle, unsorted), never sorted by key; tasks write into a temporary folder beside the
 * import folder, and the driver moves the successful attempts' files into it as
 * `part-00000.json.gz`, `part-00001.json.gz`, ... once every task succeeded: the folder holds
 * nothing but complete import files (ImportTable reads every object under its prefix).
 */
object ImportStage {

  private val PartName = """part-\d{5}\.json\.gz""".r

  def objectName(index: Int): String = f"part-$index%05d.json.gz"

  /**
   * The temporary folder beside `folder`, outside its prefix (`.../import/` -> `.../_import.temporary/`):
   * renames stay within one bucket, and an S3KeyPrefix of `.../import/` never reaches it.
   */
  def temporaryOf(folder: String): Path = {
    val f = new Path(folder)
    new Path(f.getParent, s"_${f.getName}.temporary")
  }

  /**
   * How many objects for `keys` keys: enough for `itemsPerObject` each, at least `slots` (every
   * task slot writes), never more than ImportTable's `maxObjects`: a selection that would need
   * more is refused before anything is written. Expired keys are left out later, so this counts
   * them: the files can only hold fewer items.
   */
  def objectCount(keys: Long, slots: Int, itemsPerObject: Int, maxObjects: Int = Contract.ImportMaxObjects): Int = {
    val needed = (keys + itemsPerObject - 1) / itemsPerObject
    if (needed > maxObjects)
      throw new InputError(
        s"the selection holds $keys unique keys: at $itemsPerObject items per object that is $needed import objects, over ImportTable's limit of $maxObjects objects " +
          s"per import: import part of the runs (${Contract.Args.until}) and fill the rest with conditional puts"
      )
    math.min(maxObjects.toLong, math.max(needed, math.max(1, slots).toLong)).toInt
  }

  /**
   * Makes the import folder ready before anything is read: the import files of an earlier attempt
   * (part-NNNNN.json.gz) and its temporary folder are deleted; anything else in the folder is
   * refused ([[InputError]]), as ImportTable would read it too. The folder goes as a whole, so its
   * directory markers go with it: S3A on Hadoop 3.4 keeps markers (`folder/`, written when the last
   * file under a prefix is deleted) where 3.3 removed them, and ImportTable would read one as an
   * object under its prefix.
   */
  def prepare(folder: String, conf: Configuration, log: String => Unit): Unit = {
    val path = new Path(folder)
    val fs = path.getFileSystem(conf)
    fs.delete(temporaryOf(folder), true)
    if (fs.exists(path)) {
      val listed = fs.listFiles(path, true)
      val paths = Iterator.continually(listed).takeWhile(_.hasNext).map(_.next().getPath).toVector
      val (ours, others) = paths.partition(p => PartName.pattern.matcher(p.getName).matches)
      if (others.nonEmpty)
        throw new InputError(
          s"${Contract.Args.importTo} $folder holds ${others.size} object(s) that are not import files (first: ${others.head}): " +
            "ImportTable reads every object in the folder; empty it or choose another folder"
        )
      if (ours.nonEmpty) log(s"import folder $folder: deleting ${ours.size} import file(s) of an earlier attempt")
      fs.delete(path, true)
    }
  }

  /**
   * Writes the keys of `keys` as import files and commits them into `folder`. The read stage's
   * partitions are put together into `objectCount` tasks (no second shuffle); when that is more
   * than there are partitions, each task rolls over into several files of at most `itemsPerObject`
   * items. The tasks report their files, the driver adds them up.
   */
  def run(
    keys: RDD[(ShuffleKey, ShuffleValue)],
    keyCount: Long,
    slots: Int,
    folder: String,
    writer: String => ImportPartitionWriter,
    itemsPerObject: Int,
    conf: Configuration,
    log: String => Unit
  ): ImportResult = {
    val objects = objectCount(keyCount, slots, itemsPerObject)
    val temporary = new Path(temporaryOf(folder), java.util.UUID.randomUUID().toString).toString
    val w = writer(temporary)
    log(s"writing $keyCount keys as import files into $folder: up to $objects object(s) from ${keys.getNumPartitions} partition(s)")
    val grouped = if (objects < keys.getNumPartitions) keys.coalesce(objects) else keys
    try {
      val parts = grouped.mapPartitionsWithIndex((p, it) => Iterator.single(w(p, it))).collect()
      val written = parts.iterator.map(_.files.size).sum
      // Rolled-over files could in theory pass the limit objectCount kept to: never commit them.
      if (written > Contract.ImportMaxObjects)
        throw new InputError(s"the import files came to $written objects, over ImportTable's limit of ${Contract.ImportMaxObjects}: import part of the runs (${Contract.Args.until})")
      ImportResult(commit(parts.toVector, folder, conf), parts.iterator.map(_.expired).sum, objects)
    } finally {
      scala.util.Try(temporaryOf(folder).getFileSystem(conf).delete(temporaryOf(folder), true))
      ()
    }
  }

  /**
   * Moves the tasks' files into the folder as part-00000.json.gz onwards, in partition order, a
   * few at a time (on S3 a rename is a copy). Only the files the collected results name: a failed
   * attempt's file stays in the temporary folder, deleted afterwards.
   */
  def commit(parts: Vector[ImportPart], folder: String, conf: Configuration): ImportReport = {
    val files = parts.sortBy(_.partition).flatMap(_.files)
    val target = new Path(folder)
    val fs = target.getFileSystem(conf)
    // An object store needs no folder (and S3A would leave a marker object under the prefix).
    if (!fs.getScheme.startsWith("s3")) fs.mkdirs(target)
    val pool = Executors.newFixedThreadPool(math.max(1, math.min(16, files.size)))
    implicit val ec: ExecutionContext = ExecutionContext.fromExecutorService(pool)
    try
      Await.result(
        Future.traverse(files.zipWithIndex) { case (f, i) =>
          Future {
            val to = new Path(target, objectName(i))
            if (!fs.rename(new Path(f.path), to)) throw new IOException(s"cannot move ${f.path} to $to")
          }
        },
        Duration.Inf
      )
    finally pool.shutdown()
    ImportReport(folder, files.size, files.iterator.map(_.items).sum, files.iterator.map(_.bytes).sum, files.iterator.map(_.compressedBytes).sum)
  }
}

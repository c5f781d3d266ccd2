package com.snowplowanalytics.populator

/** A problem the user fixes in the job's inputs (archive, table, credentials, endpoint): exit 3. */
final class InputError(message: String, cause: Throwable = null) extends RuntimeException(message, cause)

/** A put that kept failing with a retryable error after every attempt: the task fails, Spark retries it. */
final class ManifestWriteException(message: String, cause: Throwable) extends RuntimeException(message, cause)

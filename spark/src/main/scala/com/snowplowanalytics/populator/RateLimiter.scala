package com.snowplowanalytics.populator

import java.util.concurrent.locks.LockSupport

/** Time source for the limiter and the retry backoff, so tests can drive time by hand. */
trait Clock {
  def nanoTime(): Long
  def sleepNanos(nanos: Long): Unit
}

object Clock {
  object System extends Clock {
    def nanoTime(): Long = java.lang.System.nanoTime()
    def sleepNanos(nanos: Long): Unit = if (nanos > 0) LockSupport.parkNanos(nanos)
  }
}

/**
 * Token bucket paced at `rate` permits/s with AIMD: a throttle halves the rate (at most once per
 * `decreaseCooldownNanos`, because one overload is reported by every request that was in flight),
 * and each throttle-free second adds `maxRate * increasePerSecond` back, up to `maxRate`.
 * Thread-safe: the task thread acquires, the SDK's completion threads report throttles.
 */
final class RateLimiter(
  val maxRate: Double,
  clock: Clock,
  burstSeconds: Double = 0.1,
  increasePerSecond: Double = 0.1,
  minRateFraction: Double = 0.01,
  decreaseCooldownNanos: Long = 500L * 1000 * 1000
) {
  require(maxRate > 0, s"rate must be positive, got $maxRate")

  private val minRate = math.max(maxRate * minRateFraction, math.min(maxRate, 0.5))
  private var currentRate = maxRate
  private var tokens = 1.0
  private var last = clock.nanoTime()
  private var lastDecrease = Long.MinValue / 2

  private def capacity: Double = math.max(1.0, currentRate * burstSeconds)

  private def refill(now: Long): Unit = {
    val dt = (now - last) / 1e9
    if (dt > 0) {
      tokens = math.min(capacity, tokens + dt * currentRate)
      currentRate = math.min(maxRate, currentRate + dt * maxRate * increasePerSecond)
      last = now
    }
  }

  /** The current pace in permits/s. */
  def rate: Double = synchronized { refill(clock.nanoTime()); currentRate }

  /** Takes a permit if one is available; otherwise returns how many nanoseconds until one is. */
  def tryAcquire(): Long = synchronized {
    refill(clock.nanoTime())
    if (tokens >= 1.0) { tokens -= 1.0; 0L }
    else math.max(1L, math.ceil((1.0 - tokens) / currentRate * 1e9).toLong)
  }

  /** Blocks until a permit is available. */
  def acquire(): Unit = {
    var wait = tryAcquire()
    while (wait > 0) {
      clock.sleepNanos(wait)
      wait = tryAcquire()
    }
  }

  /** Multiplicative decrease on a throttling response. */
  def onThrottle(): Unit = synchronized {
    val now = clock.nanoTime()
    refill(now)
    if (now - lastDecrease >= decreaseCooldownNanos) {
      currentRate = math.max(minRate, currentRate / 2)
      tokens = math.min(tokens, capacity)
      lastDecrease = now
    }
  }
}

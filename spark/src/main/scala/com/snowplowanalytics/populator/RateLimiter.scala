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
 * Token bucket paced at `rate` permits/s, with AIMD against throttling:
 *  - decrease: a throttle multiplies the rate by `decreaseFactor` (at most once per
 *    `decreaseCooldownNanos`, because one overload is reported by every request that was in
 *    flight) and remembers the rate at which throttling began (`recoveryTarget`);
 *  - fast recovery: below that rate, the pace climbs back by `recoverPerSecond` of it per second
 *    (with the defaults, from x0.7 back to it in 1 s): a throttle is often a burst, and the rate
 *    where it began is the best estimate of the table's capacity;
 *  - slow probe: above it, the pace grows by `probePerSecond` of itself per second (compounding, so
 *    a target learnt during a short dip is left within seconds, not minutes), up to `maxRate`.
 * The recovery takes longer than the cooldown on purpose: a throttle that comes while the pace is
 * still climbing is seen, and lowers the target to the rate where it came. So under a budget above
 * the table's real capacity the pace settles in a band between x0.7 and a little above that
 * capacity, most of the time near it, instead of the x0.5 sawtooth of plain AIMD (simulated with a
 * token-bucket table with a 0.1 s bucket: >= 95 % of its capacity, see the spec; halving and
 * +10 %/s of the budget held 85-89 % in the same simulation).
 * Thread-safe: the task thread acquires, the SDK's completion threads report throttles.
 */
final class RateLimiter(
  val maxRate: Double,
  clock: Clock,
  burstSeconds: Double = 0.1,
  decreaseFactor: Double = 0.7,
  recoverPerSecond: Double = 0.3,
  probePerSecond: Double = 0.1,
  minRateFraction: Double = 0.01,
  decreaseCooldownNanos: Long = 500L * 1000 * 1000
) {
  require(maxRate > 0, s"rate must be positive, got $maxRate")
  require(decreaseFactor > 0 && decreaseFactor < 1, s"decreaseFactor must be in (0, 1), got $decreaseFactor")

  private val minRate = math.max(maxRate * minRateFraction, math.min(maxRate, 0.5))
  private var currentRate = maxRate
  private var recoveryTarget = maxRate
  private var tokens = 1.0
  private var last = clock.nanoTime()
  private var lastDecrease = Long.MinValue / 2

  private def capacity: Double = math.max(1.0, currentRate * burstSeconds)

  private def refill(now: Long): Unit = {
    val dt = (now - last) / 1e9
    if (dt > 0) {
      tokens = math.min(capacity, tokens + dt * currentRate)
      if (currentRate < recoveryTarget) {
        val climbed = currentRate + dt * recoveryTarget * recoverPerSecond
        if (climbed <= recoveryTarget) currentRate = climbed
        else {
          // The rest of the interval probes above the target.
          val rest = (climbed - recoveryTarget) / (recoveryTarget * recoverPerSecond)
          currentRate = recoveryTarget * math.exp(probePerSecond * rest)
        }
      } else currentRate = currentRate * math.exp(probePerSecond * dt)
      currentRate = math.min(maxRate, currentRate)
      last = now
    }
  }

  /** The current pace in permits/s. */
  def rate: Double = synchronized { refill(clock.nanoTime()); currentRate }

  /** Takes a permit if one is available; otherwise returns how many nanoseconds until one is. */
  def tryAcquire(): Long = synchronized {
    refill(clock.nanoTime())
    if (tokens >= 1.0) { tokens -= 1.0; 0L }
    else nanosUntilPermit
  }

  /** 0 if a permit is ready now, else how many nanoseconds until one is; takes nothing. */
  def peek(): Long = synchronized {
    refill(clock.nanoTime())
    if (tokens >= 1.0) 0L else nanosUntilPermit
  }

  private def nanosUntilPermit: Long = math.max(1L, math.ceil((1.0 - tokens) / currentRate * 1e9).toLong)

  /** Blocks until a permit is available. */
  def acquire(): Unit = {
    var wait = tryAcquire()
    while (wait > 0) {
      clock.sleepNanos(wait)
      wait = tryAcquire()
    }
  }

  /** Multiplicative decrease on a throttling response; true if it slowed down (not in the cooldown). */
  def onThrottle(): Boolean = synchronized {
    val now = clock.nanoTime()
    refill(now)
    if (now - lastDecrease >= decreaseCooldownNanos) {
      recoveryTarget = math.max(minRate, currentRate)
      currentRate = math.max(minRate, currentRate * decreaseFactor)
      tokens = math.min(tokens, capacity)
      lastDecrease = now
      true
    } else false
  }
}

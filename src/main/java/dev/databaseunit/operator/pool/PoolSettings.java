package dev.databaseunit.operator.pool;

import dev.databaseunit.operator.api.v1alpha1.ApiDurations;
import dev.databaseunit.operator.api.v1alpha1.PoolerSpec;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Matcher;

/**
 * The sizing parameters of one unit's pool, with the seed's values as defaults (min 5, max 50, initial 10,
 * +5 above 0.8, −2 below 0.3).
 *
 * @param window samples are averaged over this long before deciding (and only samples taken since the last step)
 * @param cooldown no step within this long of the previous one, except a scale-up while clients queue
 * @param scaleUpCooldown a scale-up while clients queue may follow the previous step after this long; while they
 *     queue, the loop also samples this often when it is shorter than the sample interval
 * @param serverIdleTimeout PgBouncer's server_idle_timeout, which the loop keeps applied
 */
public record PoolSettings(int minSize, int maxSize, int initialSize, double scaleUpThreshold,
    double scaleDownThreshold, int scaleUpStep, int scaleDownStep, Duration sampleInterval, Duration window,
    Duration cooldown, Duration scaleUpCooldown, Duration serverIdleTimeout) {

  public PoolSettings {
    if (minSize < 1 || minSize > initialSize || initialSize > maxSize) {
      throw new IllegalArgumentException("pool sizes must satisfy 1 <= min <= initial <= max");
    }
    if (!(scaleDownThreshold > 0 && scaleDownThreshold < scaleUpThreshold)) {
      throw new IllegalArgumentException("thresholds must satisfy 0 < scaleDown < scaleUp");
    }
    if (scaleUpStep < 1 || scaleDownStep < 1) {
      throw new IllegalArgumentException("steps must be positive");
    }
    Objects.requireNonNull(sampleInterval);
    Objects.requireNonNull(window);
    Objects.requireNonNull(cooldown);
    Objects.requireNonNull(scaleUpCooldown);
    if (serverIdleTimeout.toMillis() < 1) {
      throw new IllegalArgumentException("serverIdleTimeout must be at least 1ms (0 would keep idle connections forever)");
    }
  }

  public static PoolSettings seedDefaults() {
    return new PoolSettings(5, 50, 10, 0.8, 0.3, 5, 2, Duration.ofSeconds(10), Duration.ofSeconds(60),
        Duration.ofSeconds(120), Duration.ofSeconds(5), Duration.ofSeconds(60));
  }

  /** The spec's values, each falling back to the seed default when the CRD default was not applied. */
  public static PoolSettings from(PoolerSpec spec) {
    var d = seedDefaults();
    return new PoolSettings(
        or(spec.minSize(), d.minSize), or(spec.maxSize(), d.maxSize), or(spec.initialSize(), d.initialSize),
        or(spec.scaleUpThreshold(), d.scaleUpThreshold), or(spec.scaleDownThreshold(), d.scaleDownThreshold),
        or(spec.scaleUpStep(), d.scaleUpStep), or(spec.scaleDownStep(), d.scaleDownStep),
        spec.sampleInterval() != null ? ApiDurations.parse(spec.sampleInterval()) : d.sampleInterval,
        spec.smoothingWindow() != null ? ApiDurations.parse(spec.smoothingWindow()) : d.window,
        spec.cooldown() != null ? ApiDurations.parse(spec.cooldown()) : d.cooldown,
        spec.scaleUpCooldown() != null ? ApiDurations.parse(spec.scaleUpCooldown()) : d.scaleUpCooldown,
        spec.serverIdleTimeout() != null ? ApiDurations.parse(spec.serverIdleTimeout()) : d.serverIdleTimeout);
  }

  private static <T> T or(T value, T fallback) {
    return value != null ? value : fallback;
  }

  /** How many samples fill the window: a decision waits for that many since the last step. */
  public int samplesPerWindow() {
    return samplesIn(window);
  }

  /** How many samples, all with clients waiting, a scale-up within the cooldown needs. */
  public int samplesPerScaleUp() {
    return samplesIn(scaleUpCooldown);
  }

  /**
   * How often the loop wakes up: every sample interval, or every scale-up cooldown when that is shorter (it then
   * samples in between only while clients queue; see {@link PoolSizingPolicy#sampleDue}).
   */
  public Duration loopPeriod() {
    return scaleUpCooldown.compareTo(sampleInterval) < 0 ? scaleUpCooldown : sampleInterval;
  }

  private int samplesIn(Duration span) {
    return (int) Math.max(1, span.toMillis() / Math.max(1, sampleInterval.toMillis()));
  }

  /** serverIdleTimeout as PgBouncer takes and shows it: seconds, with a fraction when needed (60, 1.5). */
  public String serverIdleTimeoutSetting() {
    return BigDecimal.valueOf(serverIdleTimeout.toMillis(), 3).stripTrailingZeros().toPlainString();
  }

  /** A duration as the API writes it, for messages: 60s, 20m, 1500ms (seconds up to ten minutes). */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms % 1000 != 0) {
      return ms + "ms";
    }
    long seconds = ms / 1000;
    return seconds >= 600 && seconds % 60 == 0 ? seconds / 60 + "m" : seconds + "s";
  }
}

package dev.databaseunit.operator.pool;

import dev.databaseunit.operator.api.v1alpha1.ApiDurations;
import dev.databaseunit.operator.api.v1alpha1.PoolerSpec;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The sizing parameters of one unit's pool, with the seed's values as defaults (min 5, max 50, initial 10,
 * +5 above 0.8, −2 below 0.3).
 *
 * @param window samples are averaged over this long before deciding (and only samples taken since the last step)
 * @param cooldown no step within this long of the previous one
 */
public record PoolSettings(int minSize, int maxSize, int initialSize, double scaleUpThreshold,
    double scaleDownThreshold, int scaleUpStep, int scaleDownStep, Duration sampleInterval, Duration window,
    Duration cooldown) {
  private static final Pattern DURATION = Pattern.compile("([1-9][0-9]*)(ms|s|m|h|d)");

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
  }

  public static PoolSettings seedDefaults() {
    return new PoolSettings(5, 50, 10, 0.8, 0.3, 5, 2, Duration.ofSeconds(10), Duration.ofSeconds(60),
        Duration.ofSeconds(120));
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
        spec.cooldown() != null ? ApiDurations.parse(spec.cooldown()) : d.cooldown);
  }

  private static <T> T or(T value, T fallback) {
    return value != null ? value : fallback;
  }

  /** How many samples fill the window: a decision waits for that many since the last step. */
  public int samplesPerWindow() {
    return (int) Math.max(1, window.toMillis() / Math.max(1, sampleInterval.toMillis()));
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

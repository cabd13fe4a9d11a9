package dev.databaseunit.operator.maintenance;

import java.time.Duration;
import java.util.regex.Pattern;

/** Durations as the API writes them ({@code 300s}, {@code 5m}, {@code 2h}, {@code 1d}, {@code 500ms}). */
final class SpecDurations {
  private static final Pattern SHAPE = Pattern.compile("^([1-9][0-9]*)(ms|s|m|h|d)$");

  private SpecDurations() {}

  static Duration parse(String text) {
    var m = text == null ? null : SHAPE.matcher(text);
    if (m == null || !m.matches()) {
      throw new IllegalArgumentException("not a duration: '" + text + "' (expected e.g. 300s, 5m, 2h or 1d)");
    }
    long amount = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(amount);
      case "s" -> Duration.ofSeconds(amount);
      case "m" -> Duration.ofMinutes(amount);
      case "h" -> Duration.ofHours(amount);
      default -> Duration.ofDays(amount);
    };
  }
}

package dev.databaseunit.operator.api.v1alpha1;

import java.time.Duration;
import java.util.regex.Pattern;

/** Durations as the API writes them ({@link ApiPatterns#POSITIVE_DURATION}: 500ms, 300s, 15m, 4h, 30d, 12w). */
public final class ApiDurations {
  private static final Pattern SHAPE = Pattern.compile(ApiPatterns.POSITIVE_DURATION.replace("^[1-9][0-9]*", "^([1-9][0-9]*)"));

  private ApiDurations() {}

  public static Duration parse(String text) {
    var m = text == null ? null : SHAPE.matcher(text);
    if (m == null || !m.matches()) {
      throw new IllegalArgumentException("not a duration: '" + text + "' (expected e.g. 300s, 15m, 4h, 30d or 12w)");
    }
    long amount = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(amount);
      case "s" -> Duration.ofSeconds(amount);
      case "m" -> Duration.ofMinutes(amount);
      case "h" -> Duration.ofHours(amount);
      case "d" -> Duration.ofDays(amount);
      default -> Duration.ofDays(7 * amount);
    };
  }
}

package dev.databaseunit.cache.client;

import dev.databaseunit.cache.client.CachePolicy.InvalidationMode;
import dev.databaseunit.cache.client.CachePolicy.WriteStrategy;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The key prefix and the per-type policies of one DatabaseUnit's cache.
 *
 * <p>File format (Java properties, so it fits a ConfigMap key and needs no JSON library):
 *
 * <pre>
 * keyPrefix=recipes-app:
 * user_profiles.ttl=1h
 * user_profiles.strategy=write-through
 * user_profiles.invalidation=event-driven
 * </pre>
 *
 * TTLs are {@code 90s}, {@code 30m}, {@code 4h}, {@code 1d}, an ISO-8601 duration ({@code PT30M}) or plain
 * seconds. Other per-type properties (the operator's {@code sourceTable}, {@code keyColumn}) are ignored.
 */
public record CachePolicies(String keyPrefix, Map<String, CachePolicy> byType) {

  private static final Pattern SHORT_DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");

  public CachePolicies {
    if (keyPrefix == null || keyPrefix.isEmpty()) {
      throw new IllegalArgumentException("keyPrefix must be set (e.g. '<unit>:')");
    }
    byType = Map.copyOf(byType);
  }

  public Optional<CachePolicy> forType(String dataType) {
    return Optional.ofNullable(byType.get(dataType));
  }

  /** The seed's table (user_profiles 1 h write-through event-driven, ...), the operator's defaults too. */
  public static CachePolicies seedDefaults(String keyPrefix) {
    Map<String, CachePolicy> policies = new LinkedHashMap<>();
    for (CachePolicy policy : new CachePolicy[] {
        new CachePolicy("user_profiles", Duration.ofHours(1), WriteStrategy.WRITE_THROUGH, InvalidationMode.EVENT_DRIVEN),
        new CachePolicy("recipes", Duration.ofMinutes(30), WriteStrategy.WRITE_BEHIND, InvalidationMode.TIME_BASED),
        new CachePolicy("search_results", Duration.ofMinutes(15), WriteStrategy.CACHE_ASIDE, InvalidationMode.MANUAL),
        new CachePolicy("taste_profiles", Duration.ofHours(4), WriteStrategy.WRITE_THROUGH, InvalidationMode.EVENT_DRIVEN)}) {
      policies.put(policy.dataType(), policy);
    }
    return new CachePolicies(keyPrefix, policies);
  }

  public static CachePolicies load(Path file) throws IOException {
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return parse(reader);
    }
  }

  public static CachePolicies parse(String text) {
    try {
      return parse(new StringReader(text));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Parses the properties format; a type must name all three of ttl, strategy and invalidation. */
  public static CachePolicies parse(Reader reader) throws IOException {
    Properties properties = new Properties();
    properties.load(reader);
    var types = new TreeSet<String>();
    for (String name : properties.stringPropertyNames()) {
      int dot = name.lastIndexOf('.');
      if (dot > 0) {
        types.add(name.substring(0, dot));
      }
    }
    Map<String, CachePolicy> policies = new LinkedHashMap<>();
    for (String type : types) {
      policies.put(type, new CachePolicy(type,
          parseDuration(required(properties, type, "ttl")),
          WriteStrategy.parse(required(properties, type, "strategy")),
          InvalidationMode.parse(required(properties, type, "invalidation"))));
    }
    return new CachePolicies(properties.getProperty("keyPrefix"), policies);
  }

  private static String required(Properties properties, String type, String field) {
    String value = properties.getProperty(type + "." + field);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("policy of " + type + " has no " + field);
    }
    return value;
  }

  /** {@code 30m}, {@code 1h}, {@code PT30M} or seconds; the spellings the CRD and people use. */
  static Duration parseDuration(String text) {
    String trimmed = text.trim();
    Matcher shortForm = SHORT_DURATION.matcher(trimmed);
    if (shortForm.matches()) {
      long amount = Long.parseLong(shortForm.group(1));
      return switch (shortForm.group(2)) {
        case "ms" -> Duration.ofMillis(amount);
        case "s" -> Duration.ofSeconds(amount);
        case "m" -> Duration.ofMinutes(amount);
        case "h" -> Duration.ofHours(amount);
        default -> Duration.ofDays(amount);
      };
    }
    if (trimmed.matches("\\d+")) {
      return Duration.ofSeconds(Long.parseLong(trimmed));
    }
    try {
      return Duration.parse(trimmed);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("not a duration: " + text, e);
    }
  }
}

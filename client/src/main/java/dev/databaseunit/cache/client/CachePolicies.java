package dev.databaseunit.cache.client;

import dev.databaseunit.cache.client.CachePolicy.InvalidationMode;
import dev.databaseunit.cache.client.CachePolicy.WriteStrategy;
import io.lettuce.core.RedisURI;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The effective cache policy of one DatabaseUnit, as the operator publishes it: the ConfigMap
 * {@code <unit>-cache-policy}, key {@code cache-policy.json} (docs/cache-policy-format.md, format version 1).
 * Mount the ConfigMap and {@link #load(Path)} the file. Keys are {@code <keyPrefix>:<dataType>:<id>}.
 *
 * @param keyPrefix           the unit's key namespace, without the trailing ':'
 * @param invalidationChannel the pub/sub channel on which removed keys are announced, one per line
 * @param redis               where Redis listens, or null when the document does not say (tests, seed defaults)
 * @param byType              the policy of each data type
 */
public record CachePolicies(String keyPrefix, String invalidationChannel, RedisLocation redis,
    Map<String, CachePolicy> byType) {

  /** The document version this reader understands; it refuses others. */
  public static final long FORMAT_VERSION = 1;

  public CachePolicies {
    if (keyPrefix == null || keyPrefix.isEmpty() || keyPrefix.endsWith(":")) {
      throw new IllegalArgumentException("keyPrefix must be set, without the trailing ':' (was " + keyPrefix + ")");
    }
    if (invalidationChannel == null || invalidationChannel.isEmpty()) {
      throw new IllegalArgumentException("invalidationChannel must be set");
    }
    byType = Map.copyOf(byType);
  }

  /** Where Redis listens; credentials come from the Secret the document names, never from the document. */
  public record RedisLocation(String host, int port, boolean tls) {
    /** The connection URI; username and password may be null for an open server. */
    public RedisURI uri(String username, String password) {
      RedisURI.Builder uri = RedisURI.builder().withHost(host).withPort(port).withSsl(tls).withVerifyPeer(tls);
      if (password != null) {
        uri = username == null ? uri.withPassword(password.toCharArray()) : uri.withAuthentication(username, password);
      }
      return uri.build();
    }
  }

  /** Every key of this unit starts with this: {@code <keyPrefix>:}. */
  public String keyNamespace() {
    return keyPrefix + ":";
  }

  public Optional<CachePolicy> forType(String dataType) {
    return Optional.ofNullable(byType.get(dataType));
  }

  /** The seed's table, which is also the operator's default: what a unit without its own policies publishes. */
  public static CachePolicies seedDefaults(String keyPrefix) {
    Map<String, CachePolicy> policies = new LinkedHashMap<>();
    for (CachePolicy policy : List.of(
        new CachePolicy("user_profiles", Duration.ofHours(1), WriteStrategy.WRITE_THROUGH, InvalidationMode.EVENT_DRIVEN),
        new CachePolicy("recipes", Duration.ofMinutes(30), WriteStrategy.WRITE_BEHIND, InvalidationMode.TIME_BASED),
        new CachePolicy("search_results", Duration.ofMinutes(15), WriteStrategy.CACHE_ASIDE, InvalidationMode.MANUAL),
        new CachePolicy("taste_profiles", Duration.ofHours(4), WriteStrategy.WRITE_THROUGH, InvalidationMode.EVENT_DRIVEN))) {
      policies.put(policy.dataType(), policy);
    }
    return new CachePolicies(keyPrefix, keyPrefix + ":invalidations", null, policies);
  }

  public static CachePolicies load(Path file) throws IOException {
    return parse(Files.readString(file, StandardCharsets.UTF_8));
  }

  /** Reads the document; unknown fields are ignored (they may be added within a version), a wrong version refused. */
  public static CachePolicies parse(String json) {
    Map<String, Object> document = object(Json.parse(json), "document");
    long version = number(document, "formatVersion");
    if (version != FORMAT_VERSION) {
      throw new IllegalArgumentException("cache policy formatVersion " + version + " is not supported (this library"
          + " reads " + FORMAT_VERSION + ")");
    }
    RedisLocation redis = null;
    if (document.get("redis") != null) {
      Map<String, Object> location = object(document.get("redis"), "redis");
      redis = new RedisLocation(text(location, "host"), (int) number(location, "port"),
          Boolean.TRUE.equals(location.get("tls")));
    }
    Map<String, CachePolicy> policies = new LinkedHashMap<>();
    if (!(document.get("types") instanceof List<?> types)) {
      throw new IllegalArgumentException("cache policy has no types list");
    }
    for (Object entry : types) {
      Map<String, Object> type = object(entry, "types[]");
      String dataType = text(type, "dataType");
      CachePolicy policy = new CachePolicy(dataType, Duration.ofSeconds(number(type, "ttlSeconds")),
          WriteStrategy.parse(text(type, "strategy")), InvalidationMode.parse(text(type, "invalidation")));
      if (policies.put(dataType, policy) != null) {
        throw new IllegalArgumentException("data type " + dataType + " appears twice");
      }
    }
    return new CachePolicies(text(document, "keyPrefix"), text(document, "invalidationChannel"), redis, policies);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> object(Object value, String what) {
    if (value instanceof Map<?, ?> map) {
      return (Map<String, Object>) map;
    }
    throw new IllegalArgumentException("cache policy " + what + " must be an object");
  }

  private static String text(Map<String, Object> object, String field) {
    if (object.get(field) instanceof String value && !value.isEmpty()) {
      return value;
    }
    throw new IllegalArgumentException("cache policy field " + field + " must be a non-empty string");
  }

  private static long number(Map<String, Object> object, String field) {
    if (object.get(field) instanceof Long value) {
      return value;
    }
    throw new IllegalArgumentException("cache policy field " + field + " must be an integer");
  }
}

package dev.databaseunit.operator.cache;

import dev.databaseunit.operator.api.v1alpha1.CredentialsRef;
import dev.databaseunit.operator.api.v1alpha1.ApiDurations;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.databaseunit.operator.api.v1alpha1.CachePolicy;
import dev.databaseunit.operator.api.v1alpha1.CacheSpec;
import io.fabric8.generator.annotation.Default;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A unit's cache policy with every default filled in: what the operator enforces on Redis and publishes in the
 * policy ConfigMap (format in docs/cache-policy-format.md). Keys are {@code <keyPrefix>:<dataType>:<id>}.
 *
 * @param maxMemoryBytes Redis maxmemory in bytes (Redis units: 1kb = 1024, 1mb = 1024², 1gb = 1024³)
 * @param evictionPolicy Redis maxmemory-policy, as Redis spells it
 */
@JsonPropertyOrder({"formatVersion", "unit", "redis", "keyPrefix", "keyFormat", "invalidationChannel", "maxMemoryBytes",
    "evictionPolicy", "types"})
public record EffectiveCachePolicy(String unit, RedisLocation redis, String keyPrefix, long maxMemoryBytes, String evictionPolicy,
    List<TypePolicy> types) {
  /** Version of the published format; bumped only for changes a reader must know about. */
  public static final int FORMAT_VERSION = 1;
  /** Key of the policy ConfigMap that holds the JSON document. */
  public static final String CONFIG_MAP_KEY = "cache-policy.json";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
      .setSerializationInclusion(JsonInclude.Include.NON_NULL)
      // Derived fields (formatVersion, keyFormat, invalidationChannel) are written for readers, not read back.
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * Where applications find the unit's Redis: names of Secrets, never their contents.
   *
   * @param credentialsSecret Secret with the user name and password (keys usernameKey and passwordKey); null for an open server
   * @param caSecret Secret with the CA bundle (key caKey) that signed the server certificate; null for the system trust store
   */
  @JsonPropertyOrder({"host", "port", "tls", "credentialsSecret", "usernameKey", "passwordKey", "caSecret", "caKey"})
  public record RedisLocation(String host, int port, boolean tls, String credentialsSecret, String usernameKey, String passwordKey,
      String caSecret, String caKey) {}

  /**
   * One data type.
   *
   * @param ttlSeconds time to live the application sets and the operator enforces
   * @param strategy write-through, write-behind or cache-aside
   * @param invalidation event-driven, time-based or manual
   * @param sourceTable table whose changes invalidate keys (event-driven only)
   * @param keyColumn column of sourceTable that is the key's id (event-driven only)
   */
  @JsonPropertyOrder({"dataType", "ttlSeconds", "strategy", "invalidation", "sourceTable", "keyColumn"})
  public record TypePolicy(String dataType, long ttlSeconds, String strategy, String invalidation, String sourceTable, String keyColumn) {
    public boolean eventDriven() {
      return CachePolicy.InvalidationMode.EVENT_DRIVEN.name().equals(modeName(invalidation));
    }
  }

  /** @param namespace the unit's namespace, part of a managed Redis' Service name */
  public static EffectiveCachePolicy of(String namespace, String unitName, CacheSpec spec) {
    String prefix = spec.keyPrefix() != null ? spec.keyPrefix() : unitName;
    long maxMemory = memoryBytes(spec.maxMemory() != null ? spec.maxMemory() : defaultOf("maxMemory"));
    String eviction = spec.evictionPolicy() != null ? wireName(spec.evictionPolicy()) : defaultOf("evictionPolicy");
    List<CachePolicy> policies = spec.policies() != null && !spec.policies().isEmpty() ? spec.policies() : defaultPolicies();
    var types = policies.stream().map(p -> new TypePolicy(p.dataType(), ApiDurations.parse(p.ttl()).toSeconds(),
        wireName(p.strategy()), wireName(p.invalidation()), p.sourceTable(), p.keyColumn())).toList();
    return new EffectiveCachePolicy(unitName, location(namespace, unitName, spec), prefix, maxMemory, eviction, types);
  }

  /**
   * Whether the unit runs on the seed's default policy table: spec.policies left out, or exactly the table the CRD
   * fills in when it is left out. The defaults name the seed's tables, so their event-driven types apply only where
   * those tables exist; declared policies are what the user asked for, a missing source table is a problem then.
   */
  public static boolean usesDefaultPolicies(CacheSpec spec) {
    return spec.policies() == null || spec.policies().isEmpty() || spec.policies().equals(defaultPolicies());
  }

  /** This policy without the given data types (inactive defaults): neither enforced nor published. */
  public EffectiveCachePolicy withoutTypes(Collection<String> dataTypes) {
    if (dataTypes.isEmpty()) {
      return this;
    }
    return new EffectiveCachePolicy(unit, redis, keyPrefix, maxMemoryBytes, evictionPolicy,
        types.stream().filter(t -> !dataTypes.contains(t.dataType())).toList());
  }

  private static RedisLocation location(String namespace, String unitName, CacheSpec spec) {
    CacheSpec.ExternalRedis external = spec.external();
    if (external == null) {
      return new RedisLocation(ManagedRedis.serviceHost(unitName, namespace), ManagedRedis.PORT, false,
          ManagedRedis.credentialsSecret(unitName), CredentialsRef.USERNAME, CredentialsRef.PASSWORD, null, null);
    }
    var credentials = external.credentials();
    var ca = external.caSecret();
    return new RedisLocation(external.host(), external.port() != null ? external.port() : ManagedRedis.PORT,
        Boolean.TRUE.equals(external.tls()),
        credentials != null ? credentials.secretName() : null,
        credentials != null ? credentials.usernameKeyOrDefault() : null,
        credentials != null ? credentials.passwordKeyOrDefault() : null,
        ca != null ? ca.name() : null, ca != null ? ca.key() : null);
  }

  @JsonProperty
  public int formatVersion() {
    return FORMAT_VERSION;
  }

  /** How keys are spelled, for the reader of the ConfigMap. */
  @JsonProperty
  public String keyFormat() {
    return keyPrefix + ":<dataType>:<id>";
  }

  /**
   * Redis pub/sub channel on which the operator publishes every key it removed (one key per line; a line
   * ending in {@code :*} means every key of that type), so in-process (L1) caches can drop their copies.
   */
  @JsonProperty
  public String invalidationChannel() {
    return keyPrefix + ":invalidations";
  }

  public String key(String dataType, String id) {
    return keyPrefix + ":" + dataType + ":" + id;
  }

  /** SCAN MATCH pattern of every key of a type; the prefix and type are escaped, so only ids are matched. */
  public String keyPattern(String dataType) {
    return globEscape(keyPrefix + ":" + dataType + ":") + "*";
  }

  public Optional<TypePolicy> type(String dataType) {
    return types.stream().filter(t -> t.dataType().equals(dataType)).findFirst();
  }

  public List<TypePolicy> eventDrivenTypes() {
    return types.stream().filter(TypePolicy::eventDriven).toList();
  }

  /** The ConfigMap document: stable field order, so an unchanged policy renders byte-identical. */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot render the cache policy", e);
    }
  }

  public static EffectiveCachePolicy fromJson(String json) {
    try {
      return JSON.readValue(json, EffectiveCachePolicy.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("Not a cache policy document: " + e.getOriginalMessage(), e);
    }
  }


  /** Redis memory units as maxmemory reads them (kb/mb/gb are powers of 1024). */
  static long memoryBytes(String text) {
    var m = java.util.regex.Pattern.compile("^([1-9][0-9]*)(kb|mb|gb)$").matcher(text.toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException("Not a Redis memory size: " + text);
    }
    int shift = switch (m.group(2)) {
      case "kb" -> 10;
      case "mb" -> 20;
      default -> 30;
    };
    return Math.multiplyExact(Long.parseLong(m.group(1)), 1L << shift);
  }

  /** Escapes Redis glob metacharacters, so a literal (a key prefix, an id such as {@code a*}) matches only itself. */
  public static String globEscape(String literal) {
    var out = new StringBuilder(literal.length());
    for (char c : literal.toCharArray()) {
      if ("*?[]\\^".indexOf(c) >= 0) {
        out.append('\\');
      }
      out.append(c);
    }
    return out.toString();
  }

  /** The JSON spelling of an API enum constant (its {@code @JsonProperty}), e.g. "write-through". */
  private static String wireName(Enum<?> value) {
    return JSON.convertValue(value, String.class);
  }

  private static String modeName(String wire) {
    return JSON.convertValue(wire, CachePolicy.InvalidationMode.class).name();
  }

  /** Defaults live once, on the API class ({@code @Default}, also what the CRD applies). */
  private static String defaultOf(String component) {
    return Arrays.stream(CacheSpec.class.getRecordComponents())
        .filter(c -> c.getName().equals(component))
        // @Default targets fields and methods, so it sits on the accessor rather than the record component.
        .map(c -> c.getAccessor().getAnnotation(Default.class).value())
        .findFirst().orElseThrow();
  }

  private static List<CachePolicy> defaultPolicies() {
    try {
      return Arrays.asList(JSON.readValue(defaultOf("policies"), CachePolicy[].class));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("The default policy table on CacheSpec is not valid JSON", e);
    }
  }
}

package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** The unit's Redis and the seed's per-data-type cache policy table (the defaults). */
@ValidationRule(value = "!(has(self.external) && has(self.managed))", message = "set at most one of external or managed")
@ValidationRule(value = "self.policies.all(p, self.policies.exists_one(q, q.dataType == p.dataType))",
    message = "policies must have unique dataType values")
@ValidationRule(value = "!has(self.invalidate) || self.policies.exists(p, p.dataType == self.invalidate.dataType)",
    message = "invalidate.dataType must name one of the policies")
@ValidationRule(value = "!has(self.maxMemory) || self.maxMemory.matches(r\"" + ApiPatterns.REDIS_MEMORY + "\")", fieldPath = ".maxMemory",
    message = "maxMemory " + ApiPatterns.REDIS_MEMORY_MESSAGE)
@ValidationRule(value = "!has(self.keyPrefix) || self.keyPrefix.matches(r\"" + ApiPatterns.KEY_PREFIX + "\")", fieldPath = ".keyPrefix",
    message = "keyPrefix " + ApiPatterns.KEY_PREFIX_MESSAGE)
public record CacheSpec(
    @JsonPropertyDescription("An existing Redis (e.g. ElastiCache).") ExternalRedis external,
    @JsonPropertyDescription("A Redis StatefulSet run by the operator (the default when external is not set).")
        ManagedRedis managed,
    @Default("256mb") @Size(max = 16) @JsonPropertyDescription("Redis maxmemory.") String maxMemory,
    @Default("allkeys-lru") @JsonPropertyDescription("Redis maxmemory-policy.") EvictionPolicy evictionPolicy,
    @Size(max = 63) @JsonPropertyDescription("Key namespace; keys are <keyPrefix>:<dataType>:<id>. Defaults to the unit's name.")
        String keyPrefix,
    @Default("[{\"dataType\":\"user_profiles\",\"ttl\":\"1h\",\"strategy\":\"write-through\",\"invalidation\":\"event-driven\",\"sourceTable\":\"users\",\"keyColumn\":\"id\"},"
        + "{\"dataType\":\"recipes\",\"ttl\":\"30m\",\"strategy\":\"write-behind\",\"invalidation\":\"time-based\"},"
        + "{\"dataType\":\"search_results\",\"ttl\":\"15m\",\"strategy\":\"cache-aside\",\"invalidation\":\"manual\"},"
        + "{\"dataType\":\"taste_profiles\",\"ttl\":\"4h\",\"strategy\":\"write-through\",\"invalidation\":\"event-driven\",\"sourceTable\":\"user_taste_profiles\",\"keyColumn\":\"user_id\"}]")
        @Size(min = 1, max = 32) @JsonPropertyDescription("Per-data-type policy: TTL, write strategy and invalidation. "
            + "Left out, the seed's table applies, its event-driven types only where their source tables exist "
            + "(status.cache.inactivePolicies lists the others).")
        List<CachePolicy> policies,
    @JsonPropertyDescription("Flush one data type (SCAN + UNLINK); bump generation to flush again.") Invalidation invalidate) {

  public enum EvictionPolicy {
    @JsonProperty("noeviction") NOEVICTION,
    @JsonProperty("allkeys-lru") ALLKEYS_LRU,
    @JsonProperty("allkeys-lfu") ALLKEYS_LFU,
    @JsonProperty("allkeys-random") ALLKEYS_RANDOM,
    @JsonProperty("volatile-lru") VOLATILE_LRU,
    @JsonProperty("volatile-lfu") VOLATILE_LFU,
    @JsonProperty("volatile-random") VOLATILE_RANDOM,
    @JsonProperty("volatile-ttl") VOLATILE_TTL
  }

  public record ExternalRedis(
      @Required @JsonPropertyDescription("Host of the Redis server.") String host,
      @Default("6379") @Min(1) @Max(65535) @JsonPropertyDescription("Port of the Redis server.") Integer port,
      @JsonPropertyDescription("Secret with the Redis ACL user and password; none for an open server.")
          CredentialsRef credentials,
      @Default("false") @JsonPropertyDescription("Connect with TLS.") Boolean tls,
      @JsonPropertyDescription("Secret key with the PEM CA bundle that signed the server certificate (TLS); the JVM's trust store when absent.")
          SecretKeyRef caSecret) {}

  @ValidationRule(value = "!has(self.storageSize) || self.storageSize.matches(r\"" + ApiPatterns.STORAGE_QUANTITY + "\")", fieldPath = ".storageSize",
      message = "storageSize " + ApiPatterns.STORAGE_QUANTITY_MESSAGE)
  public record ManagedRedis(
      @Default("redis:7.4-alpine") @JsonPropertyDescription("Redis image. Its entrypoint is not used: the operator runs "
          + "redis-server from PATH as uid 999 with /data as its volume, as in the upstream redis images; docs/managed-images.md.") String image,
      @Default("1Gi") @Size(max = 16) @JsonPropertyDescription("Size of the data volume.")
          String storageSize) {}

  @ValidationRule(value = "!has(self.dataType) || self.dataType.matches(r\"" + ApiPatterns.SQL_IDENTIFIER + "\")", fieldPath = ".dataType",
      message = "dataType " + ApiPatterns.SQL_IDENTIFIER_MESSAGE)
  public record Invalidation(
      @Required @Size(max = 63) @JsonPropertyDescription("Data type to flush.") String dataType,
      @Required @Min(1) @JsonPropertyDescription("Flush again whenever this number grows.") Long generation) {}
}

package dev.databaseunit.cache.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.databaseunit.cache.client.CachePolicy.InvalidationMode;
import dev.databaseunit.cache.client.CachePolicy.WriteStrategy;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CachePoliciesTest {

  /** The example of docs/cache-policy-format.md (the operator's contract), verbatim. */
  private static final String OPERATOR_EXAMPLE = """
      {
        "formatVersion" : 1,
        "unit" : "recipes",
        "redis" : {
          "host" : "redis.shop.svc",
          "port" : 6379,
          "tls" : true,
          "credentialsSecret" : "recipes-redis",
          "usernameKey" : "username",
          "passwordKey" : "password",
          "caSecret" : "recipes-redis-ca",
          "caKey" : "ca.crt"
        },
        "keyPrefix" : "recipes",
        "keyFormat" : "recipes:<dataType>:<id>",
        "invalidationChannel" : "recipes:invalidations",
        "maxMemoryBytes" : 268435456,
        "evictionPolicy" : "allkeys-lru",
        "types" : [ {
          "dataType" : "user_profiles",
          "ttlSeconds" : 3600,
          "strategy" : "write-through",
          "invalidation" : "event-driven",
          "sourceTable" : "users",
          "keyColumn" : "id"
        }, {
          "dataType" : "recipes",
          "ttlSeconds" : 1800,
          "strategy" : "write-behind",
          "invalidation" : "time-based"
        }, {
          "dataType" : "search_results",
          "ttlSeconds" : 900,
          "strategy" : "cache-aside",
          "invalidation" : "manual"
        }, {
          "dataType" : "taste_profiles",
          "ttlSeconds" : 14400,
          "strategy" : "write-through",
          "invalidation" : "event-driven",
          "sourceTable" : "user_taste_profiles",
          "keyColumn" : "user_id"
        } ]
      }
      """;

  @Test
  void readsTheOperatorsPolicyDocument() {
    CachePolicies policies = CachePolicies.parse(OPERATOR_EXAMPLE);

    assertThat(policies.keyPrefix()).isEqualTo("recipes");
    assertThat(policies.keyNamespace()).isEqualTo("recipes:");
    assertThat(policies.invalidationChannel()).isEqualTo("recipes:invalidations");
    assertThat(policies.redis()).isEqualTo(new CachePolicies.RedisLocation("redis.shop.svc", 6379, true));
    assertThat(policies.byType()).containsOnlyKeys("user_profiles", "recipes", "search_results", "taste_profiles");
    assertThat(policies.forType("user_profiles")).contains(
        new CachePolicy("user_profiles", Duration.ofHours(1), WriteStrategy.WRITE_THROUGH, InvalidationMode.EVENT_DRIVEN));
    assertThat(policies.forType("recipes")).contains(
        new CachePolicy("recipes", Duration.ofMinutes(30), WriteStrategy.WRITE_BEHIND, InvalidationMode.TIME_BASED));
    assertThat(policies.forType("search_results")).contains(
        new CachePolicy("search_results", Duration.ofMinutes(15), WriteStrategy.CACHE_ASIDE, InvalidationMode.MANUAL));
    assertThat(policies.forType("taste_profiles").orElseThrow().ttl()).isEqualTo(Duration.ofHours(4));
    assertThat(policies).isEqualTo(new CachePolicies("recipes", "recipes:invalidations",
        new CachePolicies.RedisLocation("redis.shop.svc", 6379, true), CachePolicies.seedDefaults("recipes").byType()));
  }

  @Test
  void theRedisLocationBecomesAUriWithTheSecretsCredentials() {
    var location = new CachePolicies.RedisLocation("redis.shop.svc", 6380, true);
    var uri = location.uri("app", "s3cret");
    assertThat(uri.getHost()).isEqualTo("redis.shop.svc");
    assertThat(uri.getPort()).isEqualTo(6380);
    assertThat(uri.isSsl()).isTrue();
    assertThat(uri.isVerifyPeer()).isTrue();
    var credentials = uri.getCredentialsProvider().resolveCredentials().block();
    assertThat(credentials.getUsername()).isEqualTo("app");
    assertThat(credentials.getPassword()).containsExactly("s3cret".toCharArray());
    assertThat(uri.toString()).doesNotContain("s3cret");
    assertThat(new CachePolicies.RedisLocation("r", 6379, false).uri(null, null)
        .getCredentialsProvider().resolveCredentials().block().hasPassword()).isFalse();
  }

  @Test
  void refusesAnUnknownVersionAndIncompleteTypesNamingTheField() {
    assertThatThrownBy(() -> CachePolicies.parse(OPERATOR_EXAMPLE.replace("\"formatVersion\" : 1", "\"formatVersion\" : 2")))
        .hasMessageContaining("formatVersion 2 is not supported");
    assertThatThrownBy(() -> CachePolicies.parse(OPERATOR_EXAMPLE.replace("\"ttlSeconds\" : 900,", "")))
        .hasMessageContaining("ttlSeconds");
    assertThatThrownBy(() -> CachePolicies.parse(OPERATOR_EXAMPLE.replace("\"ttlSeconds\" : 900", "\"ttlSeconds\" : 0")))
        .hasMessageContaining("ttl");
    assertThatThrownBy(() -> CachePolicies.parse(OPERATOR_EXAMPLE.replace("write-behind", "write-around")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CachePolicies.parse(OPERATOR_EXAMPLE.replace("\"dataType\" : \"recipes\"",
        "\"dataType\" : \"user_profiles\""))).hasMessageContaining("appears twice");
    assertThatThrownBy(() -> CachePolicies.parse(OPERATOR_EXAMPLE.replace("\"keyPrefix\" : \"recipes\",", "")))
        .hasMessageContaining("keyPrefix");
    assertThatThrownBy(() -> CachePolicies.parse("{\"formatVersion\": 1, \"keyPrefix\": \"u\","
        + " \"invalidationChannel\": \"u:invalidations\"}")).hasMessageContaining("types");
  }

  @Test
  void seedDefaultsAreTheSeedsTableWithTheOperatorsChannelName() {
    CachePolicies seed = CachePolicies.seedDefaults("u");
    assertThat(seed.invalidationChannel()).isEqualTo("u:invalidations");
    assertThat(seed.redis()).isNull();
    assertThat(seed.byType()).hasSize(4);
    assertThat(seed.forType("search_results").orElseThrow().invalidation()).isEqualTo(InvalidationMode.MANUAL);
  }
}
